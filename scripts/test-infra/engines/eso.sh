# Engine: the External Secrets Operator's CRDs (external-secrets.io), for the tests that validate the
# ExternalSecrets and SecretStores Helios renders (helios:secretStore) in a real API server. No ESO
# controller runs here: nothing syncs, so the tests also see what an unsynced store looks like.
# The CRDs are generated, not copied: controller-gen (sigs.k8s.io/controller-tools) runs over ESO's
# API types at the pinned release, taken as a Go module through our module gomod/eso, into the tools
# cache. Sourced by install-tools.sh; defines install_eso.
HELIOS_ESO_VERSION="v0.16.2"
HELIOS_CONTROLLER_GEN_VERSION="v0.23.0"

install_eso() {
  local module_dir="$here/gomod/eso" out="$TOOLS/eso-crds-$HELIOS_ESO_VERSION"
  grep -q "github.com/external-secrets/external-secrets $HELIOS_ESO_VERSION" "$module_dir/go.mod" \
    || die "gomod/eso/go.mod does not require external-secrets $HELIOS_ESO_VERSION"
  go_tool controller-gen "sigs.k8s.io/controller-tools/cmd/controller-gen@$HELIOS_CONTROLLER_GEN_VERSION"
  go_tool_version_ok controller-gen "$HELIOS_CONTROLLER_GEN_VERSION"
  if ! { stamped "eso-crds-$HELIOS_ESO_VERSION-cg$HELIOS_CONTROLLER_GEN_VERSION" && [ -f "$out/external-secrets.io_externalsecrets.yaml" ]; }; then
    log "generating the External Secrets CRDs ($HELIOS_ESO_VERSION) with controller-gen"
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    (cd "$module_dir" && GOFLAGS=-mod=mod nice -n 10 "$BIN/controller-gen" crd \
      paths=github.com/external-secrets/external-secrets/apis/externalsecrets/... \
      output:crd:dir="$out.tmp") || die "controller-gen failed on external-secrets $HELIOS_ESO_VERSION"
    rm -rf "$out"; mv "$out.tmp" "$out"
    stamp "eso-crds-$HELIOS_ESO_VERSION-cg$HELIOS_CONTROLLER_GEN_VERSION"
  fi
  local crd
  for crd in externalsecrets secretstores clustersecretstores; do
    grep -q "name: v1$" "$out/external-secrets.io_$crd.yaml" || die "$out/external-secrets.io_$crd.yaml has no v1 version"
  done
}
