# Engine: promtool. Sourced by install-tools.sh; defines install_promtool.
# Debian bookworm's promtool (package `prometheus`); checked by version prefix.
HELIOS_PROMETHEUS_DEB_PREFIX="2.42"

install_promtool() {
  apt_install prometheus
  ln -sf "$(command -v promtool)" "$BIN/promtool"
  "$BIN/promtool" --version 2>&1 | grep -q "version $HELIOS_PROMETHEUS_DEB_PREFIX" \
    || die "promtool is not version $HELIOS_PROMETHEUS_DEB_PREFIX.x: $("$BIN/promtool" --version 2>&1 | head -1)"
}
