# Engine: mmdb_writer — Debian's MaxMind::DB::Writer (perl) to write MaxMind-format City and
# ASN test databases at test time (services/flow-enricher/test/fixtures/write-mmdb.pl).
HELIOS_MMDB_WRITER_PACKAGES="libmaxmind-db-writer-perl libjson-pp-perl"

install_mmdb_writer() {
  # shellcheck disable=SC2086
  apt_install $HELIOS_MMDB_WRITER_PACKAGES
  perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null \
    || die "perl module MaxMind::DB::Writer::Tree is not loadable after apt-get install"
  ln -sf "$(command -v perl)" "$BIN/perl"
}
