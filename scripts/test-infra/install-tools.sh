#!/usr/bin/env bash
# Installs and caches the real engines the tests use (DESIGN.md, "Testing: prove it with
# real engines"). Idempotent: every engine is stamped with its pinned version in the cache,
# so a second run only verifies. The cache lives outside the checkout (CI clones afresh):
#   HELIOS_TOOLS_DIR (default ~/.cache/helios-tools)
# Engines and their pinned versions: engines/<name>.sh (one file per engine).
# Usage: install-tools.sh [engine ...]   (no argument = all engines)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

TOOLS="${HELIOS_TOOLS_DIR:-$HOME/.cache/helios-tools}"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
mkdir -p "$BIN" "$STAMPS"

log() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }
stamped() { [ -f "$STAMPS/$1" ]; }
stamp() { date -u +%FT%TZ > "$STAMPS/$1"; }

apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq; apt_updated=1; fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# go install NAME MODULE@VERSION -> $BIN/NAME, stamped by version.
go_tool() {
  local name="$1" target="$2" version="${2##*@}"
  if stamped "$name-$version" && [ -x "$BIN/$name" ]; then return 0; fi
  command -v go >/dev/null || die "go not found; it is needed to build $name"
  log "go install $target"
  GOBIN="$BIN" GOFLAGS="-trimpath" go install "$target"
  stamp "$name-$version"
}

# go install leaves no version in --version output; the build info has the module's.
go_tool_version_ok() {
  local name="$1" version="$2"
  go version -m "$BIN/$name" | awk '$1 == "mod" { print $3 }' | grep -qx "$version" \
    || die "$name in $BIN is not $version: $(go version -m "$BIN/$name" | awk '$1 == "mod"')"
}

# pip_tool PACKAGE VERSION MODULE: installs PACKAGE==VERSION into the shared tools venv,
# stamped by version, and checks MODULE.__version__.
pip_tool() {
  local package="$1" version="$2" module="$3" venv="$TOOLS/venv" got
  if [ ! -x "$venv/bin/python" ]; then
    log "creating Python venv $venv"
    python3 -m venv "$venv"
  fi
  if ! stamped "$package-$version"; then
    log "pip install $package==$version"
    "$venv/bin/pip" install -q "$package==$version"
    stamp "$package-$version"
  fi
  got="$("$venv/bin/python" -c "import $module; print($module.__version__)")"
  [ "$got" = "$version" ] || die "$package is $got, expected $version"
}

# Each engine is scripts/test-infra/engines/<name>.sh: its pinned version(s) and an
# install_<name> function that installs into the cache and verifies the version.
for engine_file in "$here"/engines/*.sh; do
  # shellcheck source=/dev/null
  source "$engine_file"
done
ALL_ENGINES=()
for engine_file in "$here"/engines/*.sh; do
  ALL_ENGINES+=("$(basename "$engine_file" .sh)")
done

engines=("$@")
[ ${#engines[@]} -eq 0 ] && engines=("${ALL_ENGINES[@]}")
for engine in "${engines[@]}"; do
  fn="install_$engine"
  declare -F "$fn" >/dev/null || die "unknown engine '$engine' (known: ${ALL_ENGINES[*]})"
  "$fn"
  log "ok: $engine"
done
log "engines ready in $TOOLS"
