# Engine: alertmanager (server). Sourced by install-tools.sh; defines install_alertmanager.
# The same module and version as amtool (engines/amtool.sh): the routing and inhibition the
# tests exercise are those of the Alertmanager the program deploys (components/versions.ts).
# `go install` of the server fails because the module ships without the built web UI
# (ui/web.go embeds app/dist); the tests use only the API, so this builds the downloaded
# module with an empty placeholder UI.
HELIOS_ALERTMANAGER_VERSION="v0.34.0"

install_alertmanager() {
  local name=alertmanager version="$HELIOS_ALERTMANAGER_VERSION"
  if ! { stamped "$name-$version" && [ -x "$BIN/$name" ]; }; then
    command -v go >/dev/null || die "go not found; it is needed to build $name"
    local src work
    src="$(go mod download -json "github.com/prometheus/alertmanager@$version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
    [ -d "$src" ] || die "could not download github.com/prometheus/alertmanager@$version"
    work="$(mktemp -d)"
    cp -r "$src/." "$work/"
    chmod -R u+w "$work"
    mkdir -p "$work/ui/app/dist"
    echo '<!doctype html><title>Alertmanager (API only, test build)</title>' > "$work/ui/app/dist/index.html"
    log "go build $name $version (API only)"
    (cd "$work" && GOFLAGS="-trimpath -mod=mod" go build -ldflags "-X github.com/prometheus/common/version.Version=${version#v}" -o "$BIN/$name" ./cmd/alertmanager) || die "building $name failed"
    rm -rf "$work"
  fi
  "$BIN/$name" --version 2>&1 | grep -q "version ${version#v}" || die "$name is not $version: $("$BIN/$name" --version 2>&1 | head -1)"
  stamp "$name-$version"
}
