# Engine: goflow2 (NetFlow v5/v9, IPFIX and sFlow collector -> protobuf -> Kafka). go install.
HELIOS_GOFLOW2_VERSION="v2.2.6"

install_goflow2() {
  go_tool goflow2 "github.com/netsampler/goflow2/v2/cmd/goflow2@$HELIOS_GOFLOW2_VERSION"
  go_tool_version_ok goflow2 "$HELIOS_GOFLOW2_VERSION"
}
