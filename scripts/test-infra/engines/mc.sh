# Engine: mc, the MinIO client (creates buckets/users on the loopback MinIO servers and applies
# the replication rules the program emits). Sourced by install-tools.sh; defines install_mc.
# No semver tags upstream: pinned Go pseudo-version.
HELIOS_MC_VERSION="v0.0.0-20250313080218-cf909e1063a9"

install_mc() {
  go_tool mc "github.com/minio/mc@$HELIOS_MC_VERSION"
  go_tool_version_ok mc "$HELIOS_MC_VERSION"
}
