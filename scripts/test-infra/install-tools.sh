#!/usr/bin/env bash
# Installs and caches the real engines the tests use (DESIGN.md, "Testing: prove it with
# real engines"). Idempotent: every engine is stamped with its pinned version in the cache,
# so a second run only verifies. The cache lives outside the checkout (CI clones afresh):
#   HELIOS_TOOLS_DIR (default ~/.cache/helios-tools)
# Usage: install-tools.sh [engine ...]   (no argument = all engines)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$here/versions.sh"

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

install_promtool() {
  apt_install prometheus
  ln -sf "$(command -v promtool)" "$BIN/promtool"
  "$BIN/promtool" --version 2>&1 | grep -q "version $HELIOS_PROMETHEUS_DEB_PREFIX" \
    || die "promtool is not version $HELIOS_PROMETHEUS_DEB_PREFIX.x: $("$BIN/promtool" --version 2>&1 | head -1)"
}

install_amtool() {
  go_tool amtool "github.com/prometheus/alertmanager/cmd/amtool@$HELIOS_AMTOOL_VERSION"
  go_tool_version_ok amtool "$HELIOS_AMTOOL_VERSION"
}

install_kafka() {
  local dir="$TOOLS/kafka-$HELIOS_KAFKA_VERSION"
  if ! stamped "kafka-$HELIOS_KAFKA_VERSION" || [ ! -f "$dir/libs/kafka_${HELIOS_KAFKA_SCALA}-$HELIOS_KAFKA_VERSION.jar" ]; then
    command -v mvn >/dev/null || die "mvn not found; it is needed to fetch Kafka from Maven Central"
    command -v java >/dev/null || die "java not found; Kafka needs a JRE 17+"
    log "resolving Apache Kafka $HELIOS_KAFKA_VERSION from Maven Central"
    rm -rf "$dir"; mkdir -p "$dir/libs"
    mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$HELIOS_KAFKA_VERSION" -Dscala.binary="$HELIOS_KAFKA_SCALA" \
      -DincludeScope=runtime -DoutputDirectory="$dir/libs"
    stamp "kafka-$HELIOS_KAFKA_VERSION"
  fi
  java -cp "$dir/libs/*" kafka.tools.StorageTool version 2>/dev/null | grep -q "$HELIOS_KAFKA_VERSION" \
    || [ -f "$dir/libs/kafka-clients-$HELIOS_KAFKA_VERSION.jar" ] \
    || die "Kafka $HELIOS_KAFKA_VERSION classpath is incomplete in $dir/libs"
}

install_chdb() {
  local venv="$TOOLS/venv"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating Python venv $venv"
    python3 -m venv "$venv"
  fi
  if ! stamped "chdb-$HELIOS_CHDB_VERSION"; then
    log "pip install chdb-core==$HELIOS_CHDB_VERSION"
    "$venv/bin/pip" install -q "chdb-core==$HELIOS_CHDB_VERSION"
    stamp "chdb-$HELIOS_CHDB_VERSION"
  fi
  local got
  got="$("$venv/bin/python" -c 'import chdb; print(chdb.__version__)')"
  [ "$got" = "$HELIOS_CHDB_VERSION" ] || die "chdb-core is $got, expected $HELIOS_CHDB_VERSION"
}

ALL_ENGINES=(promtool amtool kafka chdb)
engines=("$@")
[ ${#engines[@]} -eq 0 ] && engines=("${ALL_ENGINES[@]}")
for engine in "${engines[@]}"; do
  fn="install_$engine"
  declare -F "$fn" >/dev/null || die "unknown engine '$engine' (known: ${ALL_ENGINES[*]})"
  "$fn"
  log "ok: $engine"
done
log "engines ready in $TOOLS"
