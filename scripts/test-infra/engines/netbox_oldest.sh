# Engine: netbox_oldest, the oldest NetBox release the registry serves, for the target
# generator's version test (services/target-generator/test/real-netbox-oldest.test.ts). NetBox
# is on PyPI only since 4.7 (`pip index versions netbox --python-version 3.12
# --only-binary=:all:` lists 4.7.0-4.7.3), so older releases cannot be tested here. Installed
# exactly like netbox.sh (same function, own directory $TOOLS/netbox-<version>).
HELIOS_NETBOX_OLDEST_VERSION="4.7.0"

install_netbox_oldest() { install_netbox_release "$HELIOS_NETBOX_OLDEST_VERSION"; }
