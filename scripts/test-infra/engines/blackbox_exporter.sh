# Engine: blackbox_exporter (probes; config checks and loopback probes).
# Built with go_tool_module (engines/gnmic.sh): `go install ...@v0.28.0` fails here because
# the module proxy refuses github.com/prometheus/blackbox_exporter/@v/list ("loading deprecation").
HELIOS_BLACKBOX_EXPORTER_VERSION="v0.28.0"

install_blackbox_exporter() {
  go_tool_module blackbox_exporter github.com/prometheus/blackbox_exporter "$HELIOS_BLACKBOX_EXPORTER_VERSION" github.com/prometheus/blackbox_exporter
  go_tool_version_ok blackbox_exporter "$HELIOS_BLACKBOX_EXPORTER_VERSION"
}
