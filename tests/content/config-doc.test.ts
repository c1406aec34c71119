/**
 * docs/configuration.md's config reference is generated from components/config.ts by
 * `npm run docs:config` (scripts/config-doc.ts); this fails when the committed tables are stale,
 * and checks that what the table says about a key (required, default) is what the program does.
 */
import * as fs from "fs";
import { z } from "zod";
import { ConfigError, parseHeliosConfig, PLAIN_KEYS, SECRET_KEYS } from "../../components/config";
import { CONFIG_DOC, configTables, describeType, docWithTables, requirement } from "../../scripts/config-doc";
import { flattenConfig } from "../../scripts/lib/stack-config";
import { baseConfig } from "../helpers/stacks";

/** The problems parseHeliosConfig reports for a config, or [] when it parses. */
function problems(config: Record<string, unknown>, planMode: boolean): string {
  const flat = flattenConfig(config);
  try {
    parseHeliosConfig({ values: flat.values, secretKeys: new Set(flat.secretKeys), stack: "dc-t", planMode });
    return "";
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}

describe("docs/configuration.md config reference", () => {
  it("is what `npm run docs:config` writes from components/config.ts", () => {
    const doc = fs.readFileSync(CONFIG_DOC, "utf8");
    expect(doc).toBe(docWithTables(doc, configTables()));
  });

  it("has one row per plain and secret key", () => {
    const rows = configTables().split("\n");
    for (const k of [...Object.keys(PLAIN_KEYS), ...Object.keys(SECRET_KEYS)]) {
      expect(rows.filter((r) => r.startsWith(`| \`helios:${k}\` |`))).toHaveLength(1);
    }
  });

  it("says `yes` exactly for the keys the offline plan cannot run without", () => {
    for (const [name, k] of Object.entries(PLAIN_KEYS)) {
      const config = baseConfig();
      delete (config as Record<string, unknown>)[`helios:${name}`];
      const msg = problems(config, true);
      if (requirement(name, k.schema) === "yes") expect(msg).toContain(`helios:${name}`);
      else expect(msg).not.toContain(`helios:${name}`);
    }
  });

  it("marks maxmindAccountId `to deploy`: the plan runs without it, `pulumi up` refuses", () => {
    const config = baseConfig();
    delete (config as Record<string, unknown>)["helios:maxmindAccountId"];
    expect(requirement("maxmindAccountId", PLAIN_KEYS.maxmindAccountId.schema)).toBe("to deploy");
    expect(problems(config, true)).not.toContain("helios:maxmindAccountId");
    expect(problems(config, false)).toContain("helios:maxmindAccountId: is required to deploy");
  });

  it("shows each default as the program applies it", () => {
    expect(requirement("tier", PLAIN_KEYS.tier.schema)).toBe("yes");
    expect(requirement("peers", PLAIN_KEYS.peers.schema)).toBe("no (`[]`)");
    expect(requirement("imageTag", PLAIN_KEYS.imageTag.schema)).toBe("no (`0.1.0`)");
    expect(requirement("thanosRetention", PLAIN_KEYS.thanosRetention.schema)).toBe('no (`{"raw":"14d","downsampled5m":"30d","downsampled1h":"90d"}`)');
    expect(requirement("kubeContext", PLAIN_KEYS.kubeContext.schema)).toBe("no");
  });

  it("escapes table-breaking characters outside code spans only", () => {
    const rows = configTables().split("\n");
    expect(rows.find((r) => r.includes("`helios:peerStackPrefix`"))).toContain("&lt;organization&gt;/&lt;project&gt;");
    expect(rows.find((r) => r.includes("`helios:netboxToken`"))).toContain("`Token <40 hex>`");
    expect(rows.find((r) => r.includes("`helios:role`"))).toContain("`primary` \\| `secondary`");
  });

  it("refuses a doc without the markers, naming the file and the markers", () => {
    expect(() => docWithTables("# Configuration\n\nno table here\n", configTables())).toThrow(
      /docs\/configuration\.md has no <!-- config-table:start .* <!-- config-table:end -->/,
    );
    expect(() => docWithTables("<!-- config-table:end -->\n<!-- config-table:start (npm run docs:config writes this) -->\n", "x")).toThrow(/has no/);
  });

  it("refuses a zod type it cannot describe, naming it, instead of writing a wrong type", () => {
    expect(() => describeType(z.date())).toThrow(/no description for zod type ZodDate/);
  });
});
