# Engine: thanos (objstore configs checked with `thanos tools bucket ls/inspect` against a
# loopback MinIO). Sourced by install-tools.sh; defines install_thanos.
# Pinned to the Thanos release components/versions.ts deploys (the image tag there must match).
# Thanos' go.mod carries `replace` directives, so `go install module@version` refuses it; we
# download the released module with `go mod download` (checksum-verified through the Go
# module proxy / sumdb) and build ./cmd/thanos from that read-only module directory. Nothing
# from upstream lands in the checkout.
HELIOS_THANOS_VERSION="v0.42.4"

install_thanos() {
  # "-slicelabels" in the stamp: builds without the tag (before it was added) are rebuilt.
  local name="thanos-$HELIOS_THANOS_VERSION-slicelabels"
  if ! { stamped "$name" && [ -x "$BIN/thanos" ]; }; then
    command -v go >/dev/null || die "go not found; it is needed to build thanos"
    log "go mod download github.com/thanos-io/thanos@$HELIOS_THANOS_VERSION"
    local dir
    dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/thanos-io/thanos@$HELIOS_THANOS_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$dir" ] || die "thanos module directory not found after go mod download"
    log "building thanos from $dir (slow: large dependency tree)"
    # The version ldflag makes `thanos --version` report the pinned release. The tags are the
    # release's own (its .promu.yml): without `slicelabels` Prometheus' labels package compiles
    # to its string layout, which Thanos' unsafe label casts do not expect, and the store
    # gateway crashes (SIGSEGV in gogo/protobuf writeString) as soon as it serves a block.
    (cd "$dir" && GOFLAGS="-trimpath -buildvcs=false" nice -n 10 go build -tags netgo,slicelabels \
      -ldflags "-X github.com/prometheus/common/version.Version=${HELIOS_THANOS_VERSION#v}" \
      -o "$BIN/thanos" ./cmd/thanos)
    stamp "$name"
  fi
  "$BIN/thanos" --version 2>&1 | grep -q "version ${HELIOS_THANOS_VERSION#v}" \
    || die "thanos is not $HELIOS_THANOS_VERSION: $("$BIN/thanos" --version 2>&1 | head -1)"
}
