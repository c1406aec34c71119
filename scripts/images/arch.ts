/** The architectures images are built for, with each ecosystem's name for them. */
export interface Arch {
  /** OCI platform.architecture and Debian's dpkg architecture (they agree for these two) */
  oci: "amd64" | "arm64";
  /** npm's process.arch, as in node-linux-<arch> and package.json "cpu" */
  npm: "x64" | "arm64";
  /** Debian multiarch triplet (library directories) */
  triplet: string;
}

export const ARCHES: Record<string, Arch> = {
  amd64: { oci: "amd64", npm: "x64", triplet: "x86_64-linux-gnu" },
  arm64: { oci: "arm64", npm: "arm64", triplet: "aarch64-linux-gnu" },
};

/** Parses a comma-separated architecture list; an unknown name is refused, never skipped. */
export function parseArches(list: string): Arch[] {
  const names = list.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new Error("no architecture given (known: amd64, arm64)");
  return names.map((n) => {
    const a = ARCHES[n];
    if (!a) throw new Error(`unknown architecture ${JSON.stringify(n)} (known: ${Object.keys(ARCHES).join(", ")})`);
    return a;
  });
}
