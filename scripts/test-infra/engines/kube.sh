# Engine: the Kubernetes control plane for the real-deployment tests: kube-apiserver,
# kube-controller-manager, kubectl and etcd, built from the Go module proxy through our module
# gomod/kube (written by gomod/write-kube-module.sh). No kubelet: workloads are started by our pod
# runner (tests/deploy/) from the objects the API server stores. Sourced by install-tools.sh.
# Cold build ~15-25 min on 2 cores; the binaries are cached, not the Go build cache.
HELIOS_KUBE_VERSION="1.37.2"
HELIOS_ETCD_VERSION="v3.7.0"

install_kube() {
  local module_dir="$here/gomod/kube" name="kube-$HELIOS_KUBE_VERSION-etcd-$HELIOS_ETCD_VERSION"
  grep -q "k8s.io/kubernetes v$HELIOS_KUBE_VERSION" "$module_dir/go.mod" \
    || die "gomod/kube/go.mod is not for kubernetes v$HELIOS_KUBE_VERSION; run gomod/write-kube-module.sh $HELIOS_KUBE_VERSION"
  if ! { stamped "$name" && [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] \
         && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kubectl" ]; }; then
    command -v go >/dev/null || die "go not found; it is needed to build the Kubernetes control plane"
    local minor patch ldflags="-s -w" pkg
    IFS=. read -r _ minor patch <<<"$HELIOS_KUBE_VERSION"
    # What the release build stamps (hack/lib/version.sh), so `--version` reports the pin.
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $pkg.gitVersion=v$HELIOS_KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    local cmd target
    for cmd in etcd kubectl kube-controller-manager kube-apiserver; do
      target="k8s.io/kubernetes/cmd/$cmd"; [ "$cmd" = etcd ] && target="go.etcd.io/etcd/server/v3"
      log "building $cmd (kubernetes v$HELIOS_KUBE_VERSION) from the Go module proxy"
      (cd "$module_dir" && CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath" nice -n 10 \
        go build -ldflags "$ldflags" -o "$BIN/$cmd.tmp" "$target") || die "building $cmd failed"
      mv "$BIN/$cmd.tmp" "$BIN/$cmd"
    done
    stamp "$name"
  fi
  "$BIN/kube-apiserver" --version 2>&1 | grep -qx "Kubernetes v$HELIOS_KUBE_VERSION" \
    || die "kube-apiserver is not v$HELIOS_KUBE_VERSION: $("$BIN/kube-apiserver" --version 2>&1 | head -1)"
  # Read the whole output first: `grep -q` exiting at the first line can SIGPIPE etcd, which pipefail reports as a mismatch.
  local etcd_version; etcd_version=$("$BIN/etcd" --version 2>&1)
  grep -q "etcd Version: ${HELIOS_ETCD_VERSION#v}" <<<"$etcd_version" \
    || die "etcd is not $HELIOS_ETCD_VERSION: $(head -1 <<<"$etcd_version")"
  command -v openssl >/dev/null || apt_install openssl
}
