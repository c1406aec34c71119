# Engine: the Pulumi engine for the real-deployment tests (tests/deploy): the Pulumi CLI, the Node.js
# language host and the Kubernetes resource provider, built from the Go module proxy through our
# modules in gomod/, plus our declared fake provider installed as random, minio and aws (those
# providers are Terraform-bridged and not served by the proxy; see its header for what it covers).
# Plugins go to $TOOLS/pulumi-home (PULUMI_HOME for tests), installed offline from the built files.
# Sourced by install-tools.sh; defines install_pulumi. Cold build ~10-15 min on 2 cores.
HELIOS_PULUMI_CLI_VERSION="v3.274.1"
# The last github.com/pulumi/pulumi/sdk/v3 that contains the Node.js language host (its own module
# is refused by the proxy). It runs @pulumi/pulumi 3.248 programs; it rejects stack transforms.
HELIOS_PULUMI_NODEJS_HOST_VERSION="v3.68.0"
# The only provider/v4 the proxy serves; it installs as the version @pulumi/kubernetes asks for.
HELIOS_PULUMI_KUBERNETES_MODULE="v4.0.0-20260115033456-f47bc2d6f199"

# The version package-lock.json resolves for an npm package (the plugin version its SDK asks for).
npm_locked_version() {
  node -e 'const l=require(process.argv[1]);const p=l.packages["node_modules/"+process.argv[2]];if(!p)process.exit(1);console.log(p.version)' \
    "$here/../../package-lock.json" "$1" || die "$1 is not in package-lock.json"
}

build_go_tool() { # NAME MODULE_DIR PACKAGE LDFLAGS
  local name="$1" module_dir="$2" package="$3" ldflags="$4"
  log "building $name from the Go module proxy"
  (cd "$module_dir" && CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath" nice -n 10 \
    go build -ldflags "-s -w $ldflags" -o "$BIN/$name.tmp" "$package") || die "building $name failed"
  mv "$BIN/$name.tmp" "$BIN/$name"
}

install_pulumi() {
  command -v go >/dev/null || die "go not found; it is needed to build the Pulumi engine"
  local gomod="$here/gomod" version_pkg="github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
  local kube_version random_version minio_version aws_version
  kube_version="$(npm_locked_version @pulumi/kubernetes)"
  random_version="$(npm_locked_version @pulumi/random)"
  minio_version="$(npm_locked_version @pulumi/minio)"
  aws_version="$(npm_locked_version @pulumi/aws)"

  if ! { stamped "pulumi-$HELIOS_PULUMI_CLI_VERSION" && [ -x "$BIN/pulumi" ]; }; then
    build_go_tool pulumi "$gomod/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "-X $version_pkg=$HELIOS_PULUMI_CLI_VERSION"
    stamp "pulumi-$HELIOS_PULUMI_CLI_VERSION"
  fi
  # Our fake changes with its source: rebuilt (and reinstalled as a plugin) when main.go does.
  local fake_sum
  fake_sum="$(sha256sum "$gomod/pulumi/cmd/pulumi-resource-helios-fake/main.go" | cut -c1-12)"
  if ! { stamped "pulumi-resource-helios-fake-$fake_sum" && [ -x "$BIN/pulumi-resource-helios-fake" ]; }; then
    build_go_tool pulumi-resource-helios-fake "$gomod/pulumi" ./cmd/pulumi-resource-helios-fake ""
    stamp "pulumi-resource-helios-fake-$fake_sum"
  fi
  if ! { stamped "pulumi-language-nodejs-$HELIOS_PULUMI_NODEJS_HOST_VERSION" && [ -x "$BIN/pulumi-language-nodejs" ]; }; then
    build_go_tool pulumi-language-nodejs "$gomod/pulumi-nodejs" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
      "-X $version_pkg=$HELIOS_PULUMI_NODEJS_HOST_VERSION"
    stamp "pulumi-language-nodejs-$HELIOS_PULUMI_NODEJS_HOST_VERSION"
  fi
  if ! { stamped "pulumi-resource-kubernetes-$kube_version-$HELIOS_PULUMI_KUBERNETES_MODULE" && [ -x "$BIN/pulumi-resource-kubernetes" ]; }; then
    # The provider embeds its schema; the module ships it as schema.json. Build in a copy of our
    # module inside the tools cache, so nothing generated from upstream lands in the checkout.
    local build_dir="$TOOLS/build/pulumi-kubernetes" module_src
    rm -rf "$build_dir"; mkdir -p "$build_dir"
    cp -r "$gomod/pulumi-kubernetes/." "$build_dir/"
    # `go list -m` reports no Dir for a module not yet in the module cache (a fresh machine): download it first.
    (cd "$build_dir" && GOFLAGS=-mod=mod go mod download github.com/pulumi/pulumi-kubernetes/provider/v4)
    module_src="$(cd "$build_dir" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/pulumi/pulumi-kubernetes/provider/v4)"
    [ -n "$module_src" ] || { echo "[install-tools] pulumi-kubernetes: the module cache has no github.com/pulumi/pulumi-kubernetes/provider/v4" >&2; return 1; }
    module_src="$module_src/cmd/pulumi-resource-kubernetes"
    node -e 'const fs=require("fs");const [src,dst,v]=process.argv.slice(1);const s=JSON.parse(fs.readFileSync(src+"/schema.json"));s.version=v;fs.writeFileSync(dst+"/schema-embed.json",JSON.stringify(s));fs.writeFileSync(dst+"/terraform-mapping-embed.json",JSON.stringify(JSON.parse(fs.readFileSync(src+"/terraform-mapping.json"))))' \
      "$module_src" "$build_dir/cmd/pulumi-resource-kubernetes" "$kube_version"
    build_go_tool pulumi-resource-kubernetes "$build_dir" ./cmd/pulumi-resource-kubernetes \
      "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$kube_version"
    rm -rf "$build_dir"
    stamp "pulumi-resource-kubernetes-$kube_version-$HELIOS_PULUMI_KUBERNETES_MODULE"
  fi

  # Plugins, installed offline into the tests' PULUMI_HOME.
  export PULUMI_HOME="$TOOLS/pulumi-home"
  local plugin_stamp="plugins-k$kube_version-r$random_version-m$minio_version-a$aws_version-$HELIOS_PULUMI_CLI_VERSION-fake$fake_sum"
  if ! stamped "$plugin_stamp"; then
    rm -rf "$PULUMI_HOME/plugins"
    PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" plugin install resource kubernetes "$kube_version" --file "$BIN/pulumi-resource-kubernetes" >/dev/null
    local fake
    for fake in "random $random_version" "minio $minio_version" "aws $aws_version"; do
      # shellcheck disable=SC2086
      PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" plugin install resource $fake --file "$BIN/pulumi-resource-helios-fake" >/dev/null
    done
    stamp "$plugin_stamp"
  fi
  PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" version | grep -qx "$HELIOS_PULUMI_CLI_VERSION" \
    || die "pulumi is not $HELIOS_PULUMI_CLI_VERSION: $("$BIN/pulumi" version)"
  local plugins; plugins="$(PULUMI_SKIP_UPDATE_CHECK=1 "$BIN/pulumi" plugin ls 2>/dev/null)"
  grep -Eq "^kubernetes +resource +$kube_version " <<<"$plugins" \
    || die "the kubernetes plugin $kube_version is not installed in $PULUMI_HOME"
}
