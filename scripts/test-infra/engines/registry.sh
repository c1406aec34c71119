# Engine: registry (CNCF distribution, the reference OCI registry), on loopback for the image push
# test: `npm run images` layouts are pushed, pulled back and compared by digest (tests/images/push.test.ts).
# Sourced by install-tools.sh; defines install_registry.
HELIOS_REGISTRY_VERSION="v3.1.2"

install_registry() {
  go_tool registry "github.com/distribution/distribution/v3/cmd/registry@$HELIOS_REGISTRY_VERSION"
  go_tool_version_ok registry "$HELIOS_REGISTRY_VERSION"
}
