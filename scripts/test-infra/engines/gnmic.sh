# Engine: gnmic (gNMI collector; our rendered config drives it against a loopback gNMI server).
#
# The Go module proxy reachable here refuses github.com/openconfig/gnmic at every version
# (403 on .info/.list), so `go install github.com/openconfig/gnmic@vX` cannot work. The
# newest release it serves is the pre-move path github.com/karimra/gnmic@v0.26.0 (v0.26.1
# and later are refused; the project moved to openconfig/gnmic at v0.27). Its dependency
# inet.af/netaddr is refused too; the identical code is served under its GitHub path
# github.com/inetaf/netaddr, so the build module replaces it. The old
# go4.org/unsafe/assume-no-moving-gc it pins panics on current Go at start-up; newer
# pseudo-versions of that module are no-ops, so the build module requires one.
HELIOS_GNMIC_MODULE="github.com/karimra/gnmic"
HELIOS_GNMIC_VERSION="v0.26.0"

# The release date the module proxy gives for v0.26.0 (.info "Time"): stamped into the images'
# gnmic (`gnmic version`) instead of the build's clock, so the binary is reproducible.
HELIOS_GNMIC_DATE="2022-06-29T06:46:41Z"
# The Go toolchain of the images' gnmic (its bytes depend on it): gnmic_image_build runs with
# GOTOOLCHAIN set to it, so any go >= 1.21 fetches this exact toolchain from the module proxy.
# services/runbook-operator/Dockerfile and .github/workflows/images.yml use the golang image of
# the same release (tests/images/dockerfiles.test.ts, workflow.test.ts).
HELIOS_GNMIC_IMAGE_GO="go1.26.8"
# go.mod lines both gnmic builds share (the engine here and the images' cross builds).
HELIOS_GNMIC_GOMOD=(
  "require go4.org/unsafe/assume-no-moving-gc v0.0.0-20231121144256-b99613f794b6"
  "replace inet.af/netaddr v0.0.0-20210903134321-85fa6c94624e => github.com/inetaf/netaddr v0.0.0-20210903134321-85fa6c94624e"
)

# go_build_module_dir DIR NAME MODULE VERSION PACKAGE [go.mod lines...]
# Writes the throw-away module that requires MODULE@VERSION and imports PACKAGE into DIR.
go_build_module_dir() {
  local dir="$1" name="$2" module="$3" version="$4" pkg="$5"; shift 5
  {
    printf 'module helios.local/build/%s\n\ngo 1.22\n\nrequire %s %s\n' "$name" "$module" "$version"
    local line; for line in "$@"; do printf '%s\n' "$line"; done
  } > "$dir/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$dir/tools.go"
}

# go_tool_module NAME MODULE VERSION PACKAGE [go.mod lines...]
# Builds PACKAGE from MODULE@VERSION inside a throw-away module. Unlike `go install pkg@v`
# this never reads the proxy's @v/list (refused here for several modules, which makes
# `go install` fail while "loading deprecation"). The binary's build info still records
# `mod MODULE VERSION`, so go_tool_version_ok works on it. Extra go.mod lines (replace /
# require) can be passed for modules the proxy refuses.
go_tool_module() {
  local name="$1" module="$2" version="$3" pkg="$4"; shift 4
  if stamped "$name-$version" && [ -x "$BIN/$name" ]; then return 0; fi
  command -v go >/dev/null || die "go not found; it is needed to build $name"
  local dir; dir="$(mktemp -d)"
  go_build_module_dir "$dir" "$name" "$module" "$version" "$pkg" "$@"
  log "go build $pkg ($module@$version)"
  (cd "$dir" && GOFLAGS="-mod=mod -trimpath -buildvcs=false" go build -o "$BIN/$name" "$pkg") \
    || { rm -rf "$dir"; die "building $name from $module@$version failed"; }
  rm -rf "$dir"
  stamp "$name-$version"
}

install_gnmic() {
  go_tool_module gnmic "$HELIOS_GNMIC_MODULE" "$HELIOS_GNMIC_VERSION" "$HELIOS_GNMIC_MODULE" "${HELIOS_GNMIC_GOMOD[@]}"
  go_tool_version_ok gnmic "$HELIOS_GNMIC_VERSION"
}

# gnmic_image_build GOARCH OUTDIR: writes OUTDIR/gnmic and OUTDIR/LICENSE, the gnmic the
# runbook-operator image carries (scripts/images/gnmic.ts), from the same module as the engine, for linux/GOARCH, reproducibly: no cgo (a static binary, so
# the image needs no more of libc than Node does), -trimpath, no VCS stamp, an empty build ID and
# fixed version/date ldflags (the names .goreleaser.yml of v0.26.0 sets; -s -w as its releases).
gnmic_image_build() {
  local goarch="$1" out="$2" dir v="${HELIOS_GNMIC_VERSION#v}" app="$HELIOS_GNMIC_MODULE/app"
  dir="$(mktemp -d)"
  go_build_module_dir "$dir" gnmic "$HELIOS_GNMIC_MODULE" "$HELIOS_GNMIC_VERSION" "$HELIOS_GNMIC_MODULE" "${HELIOS_GNMIC_GOMOD[@]}"
  (cd "$dir" && export GOTOOLCHAIN="$HELIOS_GNMIC_IMAGE_GO" CGO_ENABLED=0 GOOS=linux GOARCH="$goarch" GOFLAGS="-mod=mod" \
    && go build -trimpath -buildvcs=false -o "$out/gnmic" \
      -ldflags "-s -w -buildid= -X $app.version=$v -X $app.date=$HELIOS_GNMIC_DATE -X $app.gitURL=https://$HELIOS_GNMIC_MODULE" \
      "$HELIOS_GNMIC_MODULE" \
    && cp "$(go list -m -f '{{.Dir}}' "$HELIOS_GNMIC_MODULE")/LICENSE" "$out/LICENSE") || { rm -rf "$dir"; return 1; }
  rm -rf "$dir"
}
