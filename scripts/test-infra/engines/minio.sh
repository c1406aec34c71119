# Engine: minio server (loopback object storage for Thanos objstore checks and DC-to-DC
# bucket replication). Sourced by install-tools.sh; defines install_minio.
# github.com/minio/minio publishes no semver tags (RELEASE.<date> tags) and the repository is
# archived, so we pin the Go pseudo-version of its final commit. go.mod has no replace
# directives, so plain `go install` works.
HELIOS_MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"

install_minio() {
  go_tool minio "github.com/minio/minio@$HELIOS_MINIO_VERSION"
  go_tool_version_ok minio "$HELIOS_MINIO_VERSION"
}
