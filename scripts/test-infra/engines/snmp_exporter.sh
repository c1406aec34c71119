# Engine: snmp_exporter (SNMP modules; config checks and scrapes of a loopback snmpd).
# Built with go_tool_module (engines/gnmic.sh): `go install ...@v0.30.1` fails here because
# the module proxy refuses github.com/prometheus/snmp_exporter/@v/list ("loading deprecation").
HELIOS_SNMP_EXPORTER_VERSION="v0.30.1"

install_snmp_exporter() {
  go_tool_module snmp_exporter github.com/prometheus/snmp_exporter "$HELIOS_SNMP_EXPORTER_VERSION" github.com/prometheus/snmp_exporter
  go_tool_version_ok snmp_exporter "$HELIOS_SNMP_EXPORTER_VERSION"
}
