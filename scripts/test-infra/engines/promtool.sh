# Engine: promtool and prometheus (Debian package `prometheus`). Sourced by install-tools.sh; defines install_promtool.
# Debian bookworm's promtool (package `prometheus`); checked by version prefix.
HELIOS_PROMETHEUS_DEB_PREFIX="2.42"

install_promtool() {
  apt_install prometheus
  ln -sf "$(command -v promtool)" "$BIN/promtool"
  # The same package carries the Prometheus server, used to load file_sd targets and run
  # dashboard PromQL against synthetic series.
  ln -sf "$(command -v prometheus)" "$BIN/prometheus"
  "$BIN/promtool" --version 2>&1 | grep -q "version $HELIOS_PROMETHEUS_DEB_PREFIX" \
    || die "promtool is not version $HELIOS_PROMETHEUS_DEB_PREFIX.x: $("$BIN/promtool" --version 2>&1 | head -1)"
}
