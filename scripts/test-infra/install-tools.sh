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

# Engines install in parallel (see the end of this file): apt and the shared Python venv take a
# lock each, since dpkg and pip do not share a target between processes.
LOCKS="$TOOLS/locks"
mkdir -p "$LOCKS"
# One `apt-get update` per install-tools.sh run, whichever engine needs apt first.
APT_UPDATED="$LOCKS/apt-updated.$$"
trap 'rm -f "$APT_UPDATED"' EXIT

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  (
    flock 9
    if [ ! -f "$APT_UPDATED" ]; then $sudo apt-get update -qq; touch "$APT_UPDATED"; fi
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ) 9>"$LOCKS/apt"
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
  (
    flock 9
    if [ ! -x "$venv/bin/python" ]; then
      log "creating Python venv $venv"
      python3 -m venv "$venv"
    fi
    if ! stamped "$package-$version"; then
      log "pip install $package==$version"
      "$venv/bin/pip" install -q "$package==$version"
      stamp "$package-$version"
    fi
  ) 9>"$LOCKS/venv"
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
  declare -F "install_$engine" >/dev/null || die "unknown engine '$engine' (known: ${ALL_ENGINES[*]})"
done

# The long Go builds first, so they overlap each other rather than wait at the end.
SLOW_FIRST=(pulumi kube thanos promtool minio netbox netbox_oldest alertmanager mc eso gnmic)
ordered=()
for engine in "${SLOW_FIRST[@]}" "${engines[@]}"; do
  [[ " ${engines[*]} " == *" $engine "* && " ${ordered[*]} " != *" $engine "* ]] && ordered+=("$engine")
done

# HELIOS_INSTALL_JOBS engines at a time (default 3): a cold cache is mostly module downloads,
# single-threaded links and pip/apt waits, which one build at a time leaves two cores idle through.
# Each engine's output goes to its log, printed whole when it ends, so lines never interleave.
JOBS="${HELIOS_INSTALL_JOBS:-3}"
[[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || die "HELIOS_INSTALL_JOBS must be a positive integer, got '$JOBS'"
LOGS="$TOOLS/logs"
mkdir -p "$LOGS"
declare -A pid_engine=()
failed=()
started=$(date +%s)
finish_one() {
  local done_pid status=0 engine
  wait -n -p done_pid "${!pid_engine[@]}" || status=$?
  engine="${pid_engine[$done_pid]}"
  unset "pid_engine[$done_pid]"
  cat "$LOGS/$engine.log" >&2
  if [ "$status" -eq 0 ]; then
    log "ok: $engine ($(( $(date +%s) - started )) s since start)"
  else
    log "FAILED: $engine (exit $status; log above and in $LOGS/$engine.log)"
    failed+=("$engine")
  fi
}
for engine in "${ordered[@]}"; do
  while [ ${#pid_engine[@]} -ge "$JOBS" ]; do finish_one; done
  # A subshell of its own: set -e stops this engine alone at its first failing command.
  ( "install_$engine" ) >"$LOGS/$engine.log" 2>&1 &
  pid_engine[$!]="$engine"
done
while [ ${#pid_engine[@]} -gt 0 ]; do finish_one; done
[ ${#failed[@]} -eq 0 ] || die "engines that failed: ${failed[*]}"
log "engines ready in $TOOLS ($(( $(date +%s) - started )) s)"
