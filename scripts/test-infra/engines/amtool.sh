# Engine: amtool. Sourced by install-tools.sh; defines install_amtool.
HELIOS_AMTOOL_VERSION="v0.34.0"

install_amtool() {
  go_tool amtool "github.com/prometheus/alertmanager/cmd/amtool@$HELIOS_AMTOOL_VERSION"
  go_tool_version_ok amtool "$HELIOS_AMTOOL_VERSION"
}
