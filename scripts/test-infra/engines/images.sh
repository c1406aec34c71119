# Engine: what `npm run images` and tests/images need beyond Node (scripts/images, docs/images.md):
# Debian's arm64 package indexes (the arm64 runtime .debs come through apt like the amd64 ones),
# runc (the OCI runtime the images run under; crun 1.8 refuses this sandbox's hybrid cgroups) and
# qemu-user-static (runs the arm64 images). Sourced by install-tools.sh; defines install_images.
HELIOS_RUNC_DEB_PREFIX="1.1"
HELIOS_QEMU_DEB_PREFIX="7.2"

install_images() {
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  # Under install-tools.sh's apt lock: other engines may be running apt-get at the same time.
  (
    flock 9
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
      log "dpkg --add-architecture arm64 (Debian's arm64 runtime packages for the images)"
      $sudo dpkg --add-architecture arm64
      $sudo apt-get update -qq
    fi
    apt-cache show --no-all-versions libc6:arm64 >/dev/null 2>&1 || $sudo apt-get update -qq
  ) 9>"$LOCKS/apt"
  apt_install runc qemu-user-static
  runc --version | grep -q "^runc version $HELIOS_RUNC_DEB_PREFIX" || die "runc is not $HELIOS_RUNC_DEB_PREFIX.x: $(runc --version | head -1)"
  qemu-aarch64-static --version | grep -q "version $HELIOS_QEMU_DEB_PREFIX" || die "qemu-aarch64-static is not $HELIOS_QEMU_DEB_PREFIX.x: $(qemu-aarch64-static --version | head -1)"
}
