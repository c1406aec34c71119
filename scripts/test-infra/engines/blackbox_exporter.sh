# Engine: blackbox_exporter (probes; config checks and loopback probes). go install.
HELIOS_BLACKBOX_EXPORTER_VERSION="v0.28.0"

install_blackbox_exporter() {
  go_tool blackbox_exporter "github.com/prometheus/blackbox_exporter@$HELIOS_BLACKBOX_EXPORTER_VERSION"
  go_tool_version_ok blackbox_exporter "$HELIOS_BLACKBOX_EXPORTER_VERSION"
}
