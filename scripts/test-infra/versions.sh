# Pinned versions of the real engines the tests run. One place; install-tools.sh and
# env.sh read it. Bump here, then run `npm run test:tools`.
HELIOS_KAFKA_VERSION="4.1.1"
HELIOS_KAFKA_SCALA="2.13"
HELIOS_CHDB_VERSION="26.9.0"
HELIOS_AMTOOL_VERSION="v0.34.0"
# Debian bookworm's promtool (package `prometheus`); the version is checked by prefix.
HELIOS_PROMETHEUS_DEB_PREFIX="2.42"
