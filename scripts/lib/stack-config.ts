/**
 * Reads `Pulumi.<stack>.yaml` into the flat config map Pulumi hands a program
 * ("helios:tier" -> "medium", structured values as JSON text). Secure values cannot be
 * decrypted offline, so they become marked placeholders that count as set secrets.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";

export interface FlatConfig {
  values: Record<string, string>;
  secretKeys: string[];
}

export function readStackConfigFile(file: string): FlatConfig {
  if (!fs.existsSync(file)) {
    throw new Error(`stack file ${file} not found`);
  }
  const text = fs.readFileSync(file, "utf8");
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: "config" must be a map of keys to values`);
  }
  checkScalarsKeepTheirText(text, path.basename(file));
  return flattenConfig(config as Record<string, unknown>, path.basename(file));
}

/**
 * An unquoted scalar that YAML reads as a number and writes back differently (`0.10` → 0.1,
 * `1e3` → 1000, `010` → 8) would reach the program changed, under Pulumi as under the plan: refuse
 * it and ask for quotes, naming the key.
 */
function checkScalarsKeepTheirText(text: string, source: string): void {
  const doc = YAML.parseDocument(text);
  const config = doc.get("config", true);
  if (!YAML.isMap(config)) return;
  for (const pair of config.items) {
    const value = pair.value;
    if (!YAML.isScalar(value) || typeof value.value !== "number" || !value.range) continue;
    const written = text.slice(value.range[0], value.range[1]).trim();
    if (written !== String(value.value)) {
      const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      throw new Error(`${source}: ${key}: ${written} is read by YAML (and Pulumi) as the number ${value.value}; quote it to keep it as written: "${written}"`);
    }
  }
}

export function flattenConfig(config: Record<string, unknown>, source = "config"): FlatConfig {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    if (!key.includes(":")) {
      throw new Error(`${source}: config key "${key}" has no namespace; write it as helios:${key}`);
    }
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      values[key] = `PLAN-SECRET(${key})`;
      secretKeys.push(key);
    } else if (value !== null && typeof value === "object") {
      values[key] = JSON.stringify(value);
    } else if (value !== undefined && value !== null) {
      values[key] = String(value);
    }
  }
  return { values, secretKeys };
}
