# Engine: promtool and the Prometheus server, at the release the stacks deploy (components/versions.ts
# IMAGES.prometheus, v3.x): rules and alert tests, PromQL of dashboards, file_sd/http_sd loading and
# sharding. Built from the Go module github.com/prometheus/prometheus, whose v0.3MM.P is Prometheus
# 3.MM.P. Its go.mod has a `replace`, so `go install module@version` refuses it; as for Thanos we
# `go mod download` the release (checksum-verified) and build from that read-only module directory.
# Tags as the release's .promu.yml (netgo, builtinassets is left out: no web UI is needed, and its
# assets are not in the module). Sourced by install-tools.sh; defines install_promtool.
HELIOS_PROMETHEUS_VERSION="v0.314.0"

install_promtool() {
  local release name="prometheus-$HELIOS_PROMETHEUS_VERSION"
  # v0.3MM.P is Prometheus 3.MM.P (v0.314.0 -> 3.14.0).
  [[ "$HELIOS_PROMETHEUS_VERSION" =~ ^v0\.3([0-9]{2})\.([0-9]+)$ ]] || die "HELIOS_PROMETHEUS_VERSION $HELIOS_PROMETHEUS_VERSION is not v0.3MM.P"
  release="3.$((10#${BASH_REMATCH[1]})).${BASH_REMATCH[2]}"
  if ! { stamped "$name" && [ -x "$BIN/promtool" ] && [ ! -L "$BIN/promtool" ] && [ -x "$BIN/prometheus" ]; }; then
    command -v go >/dev/null || die "go not found; it is needed to build Prometheus"
    local dir
    dir="$(GOFLAGS=-mod=mod go mod download -json "github.com/prometheus/prometheus@$HELIOS_PROMETHEUS_VERSION" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$dir" ] || die "prometheus module directory not found after go mod download"
    local ldflags="-X github.com/prometheus/common/version.Version=$release"
    local cmd
    for cmd in promtool prometheus; do
      log "building $cmd $release from $dir"
      rm -f "$BIN/$cmd"
      (cd "$dir" && CGO_ENABLED=0 GOWORK=off GOFLAGS="-trimpath -buildvcs=false -mod=mod" nice -n 10 go build -tags netgo \
        -ldflags "$ldflags" -o "$BIN/$cmd.tmp" "./cmd/$cmd") || die "building $cmd failed"
      mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    done
    stamp "$name"
  fi
  "$BIN/promtool" --version 2>&1 | grep -q "version $release" \
    || die "promtool is not $release: $("$BIN/promtool" --version 2>&1 | head -1)"
}
