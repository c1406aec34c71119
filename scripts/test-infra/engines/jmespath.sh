# Engine: jmespath (the reference JMESPath implementation, PyPI) in the tools venv.
# Sourced by install-tools.sh; defines install_jmespath. Grafana evaluates
# role_attribute_path with a Go JMESPath implementation; both pass the JMESPath compliance
# suite, so the role mapping's expression is checked on a real evaluator.
HELIOS_JMESPATH_VERSION="1.1.0"

install_jmespath() {
  local venv="$TOOLS/venv"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating Python venv $venv"
    python3 -m venv "$venv"
  fi
  if ! stamped "jmespath-$HELIOS_JMESPATH_VERSION"; then
    log "pip install jmespath==$HELIOS_JMESPATH_VERSION"
    "$venv/bin/pip" install -q "jmespath==$HELIOS_JMESPATH_VERSION"
    stamp "jmespath-$HELIOS_JMESPATH_VERSION"
  fi
  local got
  got="$("$venv/bin/python" -c 'import jmespath; print(jmespath.__version__)')"
  [ "$got" = "$HELIOS_JMESPATH_VERSION" ] || die "jmespath is $got, expected $HELIOS_JMESPATH_VERSION"
}
