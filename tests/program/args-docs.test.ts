// Every public `*Args` interface of components/ has each field `readonly` and documented by a doc
// comment right above it (issue 18): args are the components' API, read by whoever wires a layer.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "..", "..");

interface Field {
  readonly where: string;
  readonly readonly: boolean;
  readonly documented: boolean;
}

/** The top-level fields of every `export interface XArgs {` in a source text. */
export function argsFields(rel: string, text: string): Field[] {
  const lines = text.split("\n");
  const out: Field[] = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^export interface (\w+Args)\b.*\{\s*$/.exec(lines[i]);
    if (!head) continue;
    let depth = 1;
    for (let j = i + 1; j < lines.length && depth > 0; j++) {
      const line = lines[j];
      const field = depth === 1 ? /^\s{2}(readonly\s+)?([\w"]+)\??:/.exec(line) : null;
      if (field) out.push({ where: `${rel}:${j + 1} ${head[1]}.${field[2]}`, readonly: Boolean(field[1]), documented: lines[j - 1].trim().endsWith("*/") });
      depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    }
  }
  return out;
}

function componentFiles(dir = path.join(ROOT, "components")): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? componentFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

describe("component *Args: readonly and documented", () => {
  const fields = componentFiles().flatMap((f) => argsFields(path.relative(ROOT, f), fs.readFileSync(f, "utf8")));

  it("finds the args of every layer", () => {
    expect(fields.length).toBeGreaterThan(150);
  });

  it("every field is readonly", () => {
    expect(fields.filter((f) => !f.readonly).map((f) => f.where)).toEqual([]);
  });

  it("every field has a doc comment", () => {
    expect(fields.filter((f) => !f.documented).map((f) => f.where)).toEqual([]);
  });

  it("the reader sees a missing readonly, a missing doc, and skips nested fields", () => {
    const text = ["export interface XArgs {", "  /** Documented. */", "  readonly a: string;", "  b?: { c: number };", "}"].join("\n");
    expect(argsFields("x.ts", text)).toEqual([
      { where: "x.ts:3 XArgs.a", readonly: true, documented: true },
      { where: "x.ts:4 XArgs.b", readonly: false, documented: false },
    ]);
  });
});
