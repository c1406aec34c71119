/**
 * Cross-layer facts are spelled once (issue 18). Each fact below has one home; this test reads the
 * program's and the services' source (comments stripped) and fails when a fact's spelling turns
 * up anywhere else, so a second copy cannot drift from the first (the target generator raising
 * its overflow count while the RBAC Role keeps the old one would give it 403s).
 *
 * A grep, on purpose: the facts are literals, and a literal copied into another module is
 * exactly what type checks cannot see. Add a row when a new cross-layer fact appears.
 */
import * as fs from "fs";
import * as path from "path";
import { allConfigMapNames, FILE_KEYS, KINDS, MAX_EXTRA_CONFIGMAPS, PROBE_KINDS, TAXONOMY_LABELS } from "../../services/target-generator/src/contract";
import { GENERATED_TARGETS, MAX_TARGET_PARTS, targetSources } from "../../components/collection/scrape";
import { targetConfigMapNames } from "../../components/integration/target-generator";
import { PROBE_MODULES } from "../../components/collection/blackbox-exporter";
import { TAXONOMY_LABELS as PROGRAM_TAXONOMY } from "../../components/labels";

const ROOT = path.resolve(__dirname, "..", "..");

interface Fact {
  /** What the fact is. */
  readonly name: string;
  /** Its one home, relative to the repository root. */
  readonly home: string;
  /** A spelling of the fact in code (comments are stripped before matching). */
  readonly pattern: RegExp;
}

const FACTS: readonly Fact[] = [
  { name: "the target generator's overflow ConfigMap count", home: "services/target-generator/src/contract.ts", pattern: /MAX_EXTRA\w*\s*=\s*\d|length:\s*8\b/ },
  { name: "the target ConfigMap names", home: "services/target-generator/src/contract.ts", pattern: /helios-targets-(["'`]|\$\{|gnmic|snmp|blackbox|prometheus)/ },
  { name: "the target file keys", home: "services/target-generator/src/contract.ts", pattern: /["'`](targets\.yaml|snmp\.json|prometheus\.json|icmp\.json)["'`]|\$\{(k|kind|probe\w*)\}\.json/ },
  { name: "the taxonomy label list", home: "services/target-generator/src/contract.ts", pattern: /"device",\s*"site",\s*"region"/ },
  { name: "the blackbox probe kinds", home: "services/target-generator/src/contract.ts", pattern: /\[\s*"icmp",\s*"tcp",\s*"http",\s*"dns"\s*\]/ },
  { name: "Thanos Query's HTTP port", home: "components/storage/thanos.ts", pattern: /\b10902\b/ },
  { name: "the flow listener ports", home: "components/flows/goflow2.ts", pattern: /\b(2055|4739|6343)\b/ },
];

/** Program and service source files (not tests: tests may spell a fact to check it). */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!["node_modules", "dist", "test", "bench"].includes(e.name)) walk(p);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) {
        out.push(p);
      }
    }
  };
  walk(path.join(ROOT, "components"));
  for (const svc of fs.readdirSync(path.join(ROOT, "services"))) {
    const src = path.join(ROOT, "services", svc, "src");
    if (fs.existsSync(src)) walk(src);
  }
  out.push(path.join(ROOT, "index.ts"));
  return out;
}

/** Source without comments (block, JSDoc and line comments; `://` in URLs is kept). */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("cross-layer contracts: one source per fact", () => {
  const files = sourceFiles().map((f) => ({ rel: path.relative(ROOT, f), code: stripComments(fs.readFileSync(f, "utf8")) }));

  it("reads the program and every service", () => {
    expect(files.map((f) => f.rel)).toEqual(expect.arrayContaining(["components/collection/scrape.ts", "services/target-generator/src/plan.ts", "services/target-generator/src/contract.ts"]));
  });

  it.each(FACTS.map((f) => [f.name, f]))("%s is spelled only in its home", (_name, fact) => {
    const f = fact as Fact;
    const home = files.find((x) => x.rel === f.home);
    expect(home && f.pattern.test(home.code)).toBe(true); // the pattern still finds the fact at home
    const elsewhere = files.filter((x) => x.rel !== f.home && f.pattern.test(x.code)).map((x) => `${x.rel}: ${x.code.split("\n").find((l) => f.pattern.test(l))?.trim()}`);
    expect(elsewhere).toEqual([]);
  });

  it("the comment stripper keeps code and URLs, drops comments", () => {
    expect(stripComments('const a = 1; // 10902\n/* 2055 */ const u = "http://x:1";')).toBe('const a = 1; \n const u = "http://x:1";');
  });

  it("the program's consumers and RBAC follow the service's contract", () => {
    expect(targetConfigMapNames()).toEqual(allConfigMapNames());
    expect(targetConfigMapNames()).toHaveLength(KINDS.length * (MAX_EXTRA_CONFIGMAPS + 1));
    expect(MAX_TARGET_PARTS).toBe(MAX_EXTRA_CONFIGMAPS + 1);
    for (const k of KINDS) {
      expect(GENERATED_TARGETS[k].keys).toEqual(FILE_KEYS[k]);
      expect(targetSources(GENERATED_TARGETS[k].configMap, true)).toHaveLength(MAX_EXTRA_CONFIGMAPS + 1);
      expect(targetSources(GENERATED_TARGETS[k].configMap, true).every((n) => allConfigMapNames().includes(n))).toBe(true);
    }
    expect(Object.keys(PROBE_MODULES).sort()).toEqual([...PROBE_KINDS].sort());
    expect(PROGRAM_TAXONOMY).toBe(TAXONOMY_LABELS);
  });
});
