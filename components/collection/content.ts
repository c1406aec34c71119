/**
 * Reading the collection config content under config/ (gnmic, snmp, blackbox, static targets):
 * file helpers shared by the renderers. Bad content throws ConfigError (components/errors.ts) naming the file.
 */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ConfigError } from "../errors";

/** Repository's config/ directory. */
export const CONFIG_DIR = path.resolve(__dirname, "..", "..", "config");


/** Parses a YAML file into a plain object (anchors resolved); throws naming the file. */
export function readYamlObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as Error).message}`);
  }
  const doc = YAML.parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(`${file}: invalid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isObject(value)) throw new ConfigError(`${file}: must be a YAML mapping at the top level`);
  return value;
}

/** Files in dir with one of the extensions, sorted by name; throws if the dir has none. */
export function listFiles(dir: string, exts: string[]): string[] {
  if (!fs.existsSync(dir)) throw new ConfigError(`${dir}: directory does not exist`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => exts.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => path.join(dir, f));
  if (!files.length) throw new ConfigError(`${dir}: no ${exts.join("/")} files`);
  return files;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export const OID = /^[0-9]+(\.[0-9]+)+$/;
