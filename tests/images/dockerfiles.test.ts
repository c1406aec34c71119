/**
 * The Dockerfiles stay for users who build with Docker; the images `npm run images` builds
 * (scripts/images/services.ts) must start the same way: same user, entrypoint (with its Node
 * flags), command, working directory and environment.
 */
import * as fs from "fs";
import * as path from "path";
import { HELIOS_SERVICE_IMAGES } from "../../components/config";
import { runtimeConfig } from "../../scripts/images/build";
import { gnmicPin } from "../../scripts/images/gnmic";
import { SERVICE_IMAGES } from "../../scripts/images/services";
import { NODE_FLAGS } from "../../services/flow-enricher/src/node-flags";
import { REPO_ROOT } from "../helpers/tools";

interface Stage {
  /** the FROM line after "FROM " */
  from: string;
  directive: (name: string) => string[];
}

function stages(service: string): Stage[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, "services", service, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  return text
    .split(/^FROM /m)
    .slice(1)
    .map((body) => ({
      from: body.split("\n")[0].trim(),
      directive: (name: string) => [...body.matchAll(new RegExp(`^${name}\\s+(.+)$`, "gm"))].map((m) => m[1].trim()),
    }));
}

/** Directives of the Dockerfile's final stage. */
function finalStage(service: string): { user?: string; entrypoint?: string[]; cmd?: string[]; workdir?: string; env: Record<string, string>; copies: string[][] } {
  const all = stages(service);
  const { directive } = all[all.length - 1];
  const env: Record<string, string> = {};
  for (const line of directive("ENV")) for (const m of line.matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1]] = m[2];
  const json = (name: string) => (directive(name).length ? (JSON.parse(directive(name).pop()!) as string[]) : undefined);
  return { user: directive("USER").pop(), entrypoint: json("ENTRYPOINT"), cmd: json("CMD"), workdir: directive("WORKDIR").pop(), env, copies: directive("COPY").map((c) => c.split(/\s+/)) };
}

/** An image path as the Dockerfile's COPY destination gives it (relative to WORKDIR), without the leading slash. */
const imagePath = (dest: string, workdir = "/") => path.posix.resolve(workdir, dest).slice(1);

describe.each(SERVICE_IMAGES.map((s) => s.name))("%s: Dockerfile and npm run images agree", (name) => {
  const image = runtimeConfig(SERVICE_IMAGES.find((s) => s.name === name)!);
  const docker = finalStage(name);

  it("runs as the same non-root user (65532, distroless' nonroot)", () => {
    expect(docker.user).toBe("65532:65532");
    expect(image.User).toBe(docker.user);
  });

  it("starts with the same entrypoint, Node flags, command and working directory", () => {
    expect(image.Entrypoint).toEqual(docker.entrypoint);
    expect(image.Cmd).toEqual(docker.cmd);
    expect(image.WorkingDir).toBe(docker.workdir);
  });

  it("sets the Dockerfile's environment", () => {
    const env = Object.fromEntries(image.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    expect(Object.keys(docker.env).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(docker.env)) expect(env[k]).toBe(v);
  });
});

describe.each(SERVICE_IMAGES.map((s) => s.name))("%s: the repository directories the Dockerfile copies", (name) => {
  it("are the ones npm run images puts in, at the same place", () => {
    const docker = finalStage(name);
    const fromRepo = docker.copies.filter((c) => !c[0].startsWith("--")).map(([src, dest]) => [src.replace(/\/$/, ""), imagePath(dest, docker.workdir)]);
    expect(Object.fromEntries(fromRepo)).toEqual(SERVICE_IMAGES.find((s) => s.name === name)!.extraDirs ?? {});
  });
});

describe("runbook-operator: gnmic", () => {
  const image = SERVICE_IMAGES.find((s) => s.name === "runbook-operator")!;
  const all = stages("runbook-operator");
  const docker = finalStage("runbook-operator");

  it("the Dockerfile copies gnmic to the path npm run images puts it (on the image's PATH, as GNMIC_BIN=gnmic needs)", () => {
    const copy = docker.copies.find((c) => c[0] === "--from=gnmic");
    expect(copy).toBeDefined();
    expect(`/${imagePath(copy![2], docker.workdir)}`).toBe(image.gnmic);
    const pathEnv = runtimeConfig(image).Env.find((e) => e.startsWith("PATH="))!.slice(5).split(":");
    expect(pathEnv).toContain(path.posix.dirname(image.gnmic!));
  });

  it("the Dockerfile's gnmic stage builds with engines/gnmic.sh for the target architecture, on the pinned Go toolchain", () => {
    const stage = all.find((s) => / AS gnmic$/.test(s.from))!;
    const golang = stage.from.match(/golang:(\d+\.\d+\.\d+)-bookworm /);
    expect(golang).not.toBeNull();
    expect(`go${golang![1]}`).toBe(gnmicPin().go);
    expect(stage.directive("COPY")).toEqual(["scripts/test-infra/engines/gnmic.sh /gnmic.sh"]);
    expect(stage.directive("RUN").join("\n")).toMatch(/source \/gnmic\.sh; gnmic_image_build "\$1" \/out' gnmic "\$TARGETARCH"$/);
    expect(docker.copies.find((c) => c[0] === "--from=gnmic")![1]).toBe("/out/gnmic");
  });
});

it("npm run images builds exactly the services helios:imageDigests can name", () => {
  expect(SERVICE_IMAGES.map((s) => s.name).sort()).toEqual([...HELIOS_SERVICE_IMAGES].sort());
});

it("flow-enricher's image passes the V8 flags its code declares (src/node-flags.ts)", () => {
  const entry = runtimeConfig(SERVICE_IMAGES.find((s) => s.name === "flow-enricher")!).Entrypoint;
  expect(entry.filter((a) => a.startsWith("--"))).toEqual([...NODE_FLAGS]);
});
