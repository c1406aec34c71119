# Engine: snmp_exporter (SNMP modules; config checks and scrapes of a loopback snmpd). go install.
HELIOS_SNMP_EXPORTER_VERSION="v0.30.1"

install_snmp_exporter() {
  go_tool snmp_exporter "github.com/prometheus/snmp_exporter@$HELIOS_SNMP_EXPORTER_VERSION"
  go_tool_version_ok snmp_exporter "$HELIOS_SNMP_EXPORTER_VERSION"
}
