/**
 * Pinned inputs of the images other than our own code: the Node release (the same as the tests
 * run, scripts/test-infra/node.sh HELIOS_NODE_VERSION) with the npm registry's integrity of each
 * package, and the Debian packages of the runtime. Debian versions are whatever bookworm's
 * signed indexes (apt) currently serve, recorded per image in its labels: security updates then
 * change the digest, which is the point of rebuilding.
 */
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

export function nodeVersion(): string {
  const m = fs.readFileSync(path.join(REPO, "scripts", "test-infra", "node.sh"), "utf8").match(/^HELIOS_NODE_VERSION="([^"]+)"/m);
  if (!m) throw new Error("HELIOS_NODE_VERSION not found in scripts/test-infra/node.sh");
  return m[1];
}

/** dist.integrity of node-linux-<npm arch>@<version> as the registry published it (`npm view ... dist.integrity`). */
export const NODE_INTEGRITY: Record<string, Record<string, string>> = {
  "24.22.3": {
    x64: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
    arm64: "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==",
  },
};

/**
 * The runtime distroless' "cc" image carries for a C++ program, minus what Node does not need:
 * glibc, libgcc_s and libstdc++ (the node binary links them), CA certificates and time zones.
 * No shell (dash, bash), no coreutils, no dpkg/apt.
 */
export const DEBIAN_PACKAGES = ["libc6", "libgcc-s1", "libstdc++6", "ca-certificates", "tzdata"];

export const REPO_ROOT = REPO;
