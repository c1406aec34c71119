# Engine: flow_tools — real flow exporters from Debian used to produce NetFlow v9 / IPFIX
# (softflowd reading a pcap) and sFlow (pmacct's pmacctd/sfacctd), plus nfdump for
# nfcapd/nfreplay. apt packages; binaries are linked into $BIN so tests find them with tool().
HELIOS_FLOW_TOOLS_PACKAGES="softflowd nfdump pmacct"

install_flow_tools() {
  # shellcheck disable=SC2086
  apt_install $HELIOS_FLOW_TOOLS_PACKAGES
  local b
  for b in softflowd nfcapd nfreplay nfdump pmacctd sfacctd; do
    local p
    p="$(command -v "$b" || true)"
    [ -n "$p" ] || p="/usr/sbin/$b"
    [ -x "$p" ] || die "$b not found after apt-get install $HELIOS_FLOW_TOOLS_PACKAGES"
    ln -sf "$p" "$BIN/$b"
  done
}
