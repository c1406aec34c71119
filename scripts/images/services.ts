/**
 * What each service image carries and how it starts. Mirrors services/<name>/Dockerfile (kept
 * for users who build with Docker; tests/images/dockerfiles.test.ts keeps user, entrypoint,
 * command, working directory and Node flags equal).
 */
export interface ServiceImage {
  /** services/<name> */
  name: string;
  entrypoint: string[];
  cmd?: string[];
  env: Record<string, string>;
  ports: number[];
  /** extra repository directories copied into the image: repo path -> image path */
  extraDirs?: Record<string, string>;
  /** where the gnmic CLI goes (scripts/images/gnmic.ts), for a service that runs it */
  gnmic?: string;
}

/** uid/gid of the image user: distroless' "nonroot" */
export const NONROOT = 65532;
/** where the node binary lives; "node" in an entrypoint is found through PATH, as in the Dockerfiles */
export const NODE_PATH = "/usr/local/bin/node";
export const PATH_ENV = "/usr/local/bin:/usr/bin:/bin";

export const SERVICE_IMAGES: ServiceImage[] = [
  {
    name: "flow-enricher",
    entrypoint: ["node", "--max-semi-space-size=64", "dist/main.js"],
    env: { NODE_ENV: "production" },
    ports: [8080],
  },
  {
    name: "target-generator",
    entrypoint: ["node", "/app/dist/cli.js"],
    cmd: ["--interval", "5m", "--metrics-port", "8080"],
    env: { NODE_ENV: "production" },
    ports: [8080],
  },
  {
    name: "clickhouse-migrator",
    entrypoint: ["node", "dist/src/main.js"],
    env: { NODE_ENV: "production", MIGRATIONS_DIR: "/migrations" },
    ports: [],
    extraDirs: { migrations: "migrations" },
  },
  {
    // operator, Job runner and approval CLI in one image; the runner's gNMI steps exec gnmic (GNMIC_BIN, default "gnmic" on PATH)
    name: "runbook-operator",
    entrypoint: ["node", "/app/dist/cli.js"],
    cmd: ["operator"],
    env: { NODE_ENV: "production" },
    ports: [8080],
    extraDirs: { "services/runbook-operator/crds": "app/crds" },
    gnmic: "/usr/local/bin/gnmic",
  },
];

export function serviceImage(name: string): ServiceImage {
  const s = SERVICE_IMAGES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown service ${JSON.stringify(name)} (known: ${SERVICE_IMAGES.map((x) => x.name).join(", ")})`);
  return s;
}
