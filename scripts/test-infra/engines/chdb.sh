# Engine: chdb. Sourced by install-tools.sh; defines install_chdb.
HELIOS_CHDB_VERSION="26.9.0"

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
