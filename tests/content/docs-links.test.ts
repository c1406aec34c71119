/**
 * The README is a front door to docs/: every relative link in README.md and docs/*.md must name a
 * file that exists and, with a #fragment, a heading of that file (GitHub's anchor rules), so
 * moving or renaming a section cannot leave a dead link.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../helpers/tools";

const pages = ["README.md", ...fs.readdirSync(path.join(REPO_ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];

/** GitHub's heading anchor: lowercase, punctuation dropped (not `-`/`_`), spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Headings outside code fences, as anchors. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) out.add(anchorOf(m[1]));
  }
  return out;
}

/** Relative markdown links `[text](target)` outside code fences and code spans. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/.test(t));
}

describe("README.md and docs/ links", () => {
  it("computes GitHub anchors", () => {
    expect(anchorOf("Deployed = tested (`npm run test:deploy`, `tests/deploy/`)")).toBe("deployed--tested-npm-run-testdeploy-testsdeploy");
    expect(anchorOf("ClickHouse schema (database `helios`)")).toBe("clickhouse-schema-database-helios");
  });

  it("the README links every docs/ page", () => {
    const readmeLinks = links(fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")).map((t) => t.split("#")[0]);
    expect(pages.filter((p) => p !== "README.md" && !readmeLinks.includes(p))).toEqual([]);
  });

  it.each(pages.map((p) => [p]))("%s: every relative link resolves to a file and a heading", (page) => {
    const source = fs.readFileSync(path.join(REPO_ROOT, page), "utf8");
    const dead: string[] = [];
    for (const target of links(source)) {
      const [file, fragment] = target.split("#");
      const resolved = file ? path.join(path.dirname(path.join(REPO_ROOT, page)), file) : path.join(REPO_ROOT, page);
      if (!fs.existsSync(resolved)) dead.push(`${target}: no file ${path.relative(REPO_ROOT, resolved)}`);
      else if (fragment && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(fragment)) dead.push(`${target}: no heading #${fragment}`);
    }
    expect(dead).toEqual([]);
  });
});
