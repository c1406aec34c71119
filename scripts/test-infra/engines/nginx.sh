# Engine: nginx (Debian nginx-light), the server behind helios-targets-sd; the engine tests run
# our rendered server block (components/collection/scrape.ts) and point Prometheus' http_sd at it.
HELIOS_NGINX_DEB_PREFIX="1.22"

install_nginx() {
  apt_install nginx-light
  ln -sf /usr/sbin/nginx "$BIN/nginx"
  "$BIN/nginx" -v 2>&1 | grep -q "nginx/$HELIOS_NGINX_DEB_PREFIX" || die "nginx is not $HELIOS_NGINX_DEB_PREFIX.x: $("$BIN/nginx" -v 2>&1)"
}
