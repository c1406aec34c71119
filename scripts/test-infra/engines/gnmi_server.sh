# Engine: gnmi_server — openconfig's fake gNMI target (github.com/openconfig/gnmi
# testing/fake/gnmi/cmd/fake_server). It streams the SubscribeResponses of a text-proto
# config over TLS; the gnmic engine test feeds it OpenConfig-shaped notifications.
HELIOS_GNMI_SERVER_VERSION="v0.14.1"

install_gnmi_server() {
  go_tool_module gnmi_server github.com/openconfig/gnmi "$HELIOS_GNMI_SERVER_VERSION" \
    github.com/openconfig/gnmi/testing/fake/gnmi/cmd/fake_server
  go_tool_version_ok gnmi_server "$HELIOS_GNMI_SERVER_VERSION"
}
