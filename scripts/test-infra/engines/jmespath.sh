# Engine: jmespath (the reference JMESPath implementation, PyPI) in the tools venv.
# Sourced by install-tools.sh; defines install_jmespath. Grafana evaluates
# role_attribute_path with a Go JMESPath implementation; both pass the JMESPath compliance
# suite, so the role mapping's expression is checked on a real evaluator.
HELIOS_JMESPATH_VERSION="1.1.0"

install_jmespath() {
  pip_tool jmespath "$HELIOS_JMESPATH_VERSION" jmespath
}
