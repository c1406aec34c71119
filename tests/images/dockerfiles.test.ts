/**
 * The Dockerfiles stay for users who build with Docker; the images `npm run images` builds
 * (scripts/images/services.ts) must start the same way: same user, entrypoint (with its Node
 * flags), command, working directory and environment.
 */
import * as fs from "fs";
import * as path from "path";
import { runtimeConfig } from "../../scripts/images/build";
import { SERVICE_IMAGES } from "../../scripts/images/services";
import { NODE_FLAGS } from "../../services/flow-enricher/src/node-flags";
import { REPO_ROOT } from "../helpers/tools";

/** Directives of the Dockerfile's final stage. */
function finalStage(service: string): { user?: string; entrypoint?: string[]; cmd?: string[]; workdir?: string; env: Record<string, string> } {
  const text = fs.readFileSync(path.join(REPO_ROOT, "services", service, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const stages = text.split(/^FROM /m);
  const last = stages[stages.length - 1];
  const directive = (name: string) => [...last.matchAll(new RegExp(`^${name}\\s+(.+)$`, "gm"))].map((m) => m[1].trim());
  const env: Record<string, string> = {};
  for (const line of directive("ENV")) for (const m of line.matchAll(/([A-Z_]+)=(\S+)/g)) env[m[1]] = m[2];
  const json = (name: string) => (directive(name).length ? (JSON.parse(directive(name).pop()!) as string[]) : undefined);
  return { user: directive("USER").pop(), entrypoint: json("ENTRYPOINT"), cmd: json("CMD"), workdir: directive("WORKDIR").pop(), env };
}

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

it("flow-enricher's image passes the V8 flags its code declares (src/node-flags.ts)", () => {
  const entry = runtimeConfig(SERVICE_IMAGES.find((s) => s.name === "flow-enricher")!).Entrypoint;
  expect(entry.filter((a) => a.startsWith("--"))).toEqual([...NODE_FLAGS]);
});
