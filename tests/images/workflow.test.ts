/**
 * .github/workflows/images.yml runs only on users' CI; here it is checked with actionlint (which
 * also runs shellcheck on the run: scripts when shellcheck is installed) and must build with the
 * same script as a workstation.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { gnmicPin } from "../../scripts/images/gnmic";
import { REPO_ROOT, run, tempDir, tool } from "../helpers/tools";

const WORKFLOW = path.join(REPO_ROOT, ".github", "workflows", "images.yml");

it("passes actionlint", () => {
  const r = run(tool("actionlint"), ["-no-color", WORKFLOW], { cwd: REPO_ROOT });
  expect(r.stdout + r.stderr).toBe("");
  expect(r.status).toBe(0);
});

it("actionlint does find errors (a broken copy fails)", () => {
  const broken = path.join(tempDir("workflow"), "broken.yml");
  try {
    fs.writeFileSync(broken, fs.readFileSync(WORKFLOW, "utf8").replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-24.04\n    timeout-minutes: soon"));
    const r = run(tool("actionlint"), ["-no-color", broken]);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain("timeout-minutes");
  } finally {
    fs.rmSync(path.dirname(broken), { recursive: true, force: true });
  }
});

it("builds and pushes with npm run images, then signs every built digest", () => {
  const wf = parse(fs.readFileSync(WORKFLOW, "utf8")) as { jobs: Record<string, { steps: { run?: string; uses?: string }[] }> };
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const runs = steps.map((s) => s.run ?? "").join("\n");
  expect(runs).toMatch(/npm run images -- --push /);
  expect(runs).toContain("cosign sign --yes");
  expect(runs).toContain("out/images/digests.json");
});

it("builds in the golang bookworm image of the toolchain the runbook-operator's gnmic is pinned to", () => {
  const text = fs.readFileSync(WORKFLOW, "utf8");
  const images = [...text.matchAll(/\b(golang|debian):(\S+)/g)].map((m) => `${m[1]}:${m[2]}`);
  expect(images).toEqual([`golang:${gnmicPin().go.replace(/^go/, "")}-bookworm`]);
});
