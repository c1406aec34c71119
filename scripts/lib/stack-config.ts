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
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${(e as Error).message}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: "config" must be a map of keys to values`);
  }
  return flattenConfig(config as Record<string, unknown>, path.basename(file));
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
