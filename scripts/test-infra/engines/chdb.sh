# Engine: chdb. Sourced by install-tools.sh; defines install_chdb.
HELIOS_CHDB_VERSION="26.9.0"

install_chdb() {
  pip_tool chdb-core "$HELIOS_CHDB_VERSION" chdb
}
