# Engine: snmpd (Debian net-snmp agent) and the net-snmp command-line tools, for the
# snmp_exporter engine test (an unprivileged snmpd on a random 127.0.0.1 UDP port).
HELIOS_SNMPD_DEB_PREFIX="5.9"

install_snmpd() {
  apt_install snmpd snmp
  ln -sf "$(command -v snmpd 2>/dev/null || echo /usr/sbin/snmpd)" "$BIN/snmpd"
  "$BIN/snmpd" -v 2>&1 | grep -q "NET-SNMP version: *$HELIOS_SNMPD_DEB_PREFIX" \
    || die "snmpd is not net-snmp $HELIOS_SNMPD_DEB_PREFIX.x: $("$BIN/snmpd" -v 2>&1 | grep -i version | head -1)"
}
