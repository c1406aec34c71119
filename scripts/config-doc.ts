/**
 * Writes docs/configuration.md's config reference tables from components/config.ts — the key
 * declarations (PLAIN_KEYS with their zod schemas and docs, SECRET_KEYS, the required-to-deploy
 * lists) that the program itself validates with — between the `<!-- config-table -->` markers,
 * so the reference is never a second spelling. tests/content/config-doc.test.ts fails when the
 * committed table is not what this would write.
 *   npm run docs:config
 */
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { PLAIN_KEYS, PLAIN_KEYS_REQUIRED_TO_DEPLOY, SECRET_KEYS, SECRETS_REQUIRED_TO_DEPLOY } from "../components/config";

const root = path.resolve(__dirname, "..");
export const CONFIG_DOC = path.join(root, "docs", "configuration.md");
const START = "<!-- config-table:start (npm run docs:config writes this) -->";
const END = "<!-- config-table:end -->";

/** A short type description of a zod schema, as a stack file author writes the value. */
export function describeType(schema: z.ZodTypeAny): string {
  const def = schema._def;
  switch (def.typeName) {
    case z.ZodFirstPartyTypeKind.ZodOptional:
    case z.ZodFirstPartyTypeKind.ZodNullable:
      return describeType(def.innerType);
    case z.ZodFirstPartyTypeKind.ZodDefault:
      return describeType(def.innerType);
    case z.ZodFirstPartyTypeKind.ZodEffects:
      return describeType(def.schema);
    case z.ZodFirstPartyTypeKind.ZodString:
      return "string";
    case z.ZodFirstPartyTypeKind.ZodNumber:
      return "number";
    case z.ZodFirstPartyTypeKind.ZodBoolean:
      return "boolean";
    case z.ZodFirstPartyTypeKind.ZodEnum:
      return (def.values as string[]).map((v) => `\`${v}\``).join(" \\| ");
    case z.ZodFirstPartyTypeKind.ZodArray:
      return `list of ${describeType(def.type)}`;
    case z.ZodFirstPartyTypeKind.ZodRecord:
      return `map of ${describeType(def.valueType)}`;
    case z.ZodFirstPartyTypeKind.ZodUnion:
      return (def.options as z.ZodTypeAny[]).map(describeType).join(" or ");
    case z.ZodFirstPartyTypeKind.ZodObject:
      return `object {${Object.keys((schema as z.AnyZodObject).shape).join(", ")}}`;
    default:
      throw new Error(`scripts/config-doc.ts: no description for zod type ${def.typeName}; add one`);
  }
}

/** What the program uses when the key is absent: `yes` (required), a default, or `no`. */
export function requirement(name: string, schema: z.ZodTypeAny): string {
  if ((PLAIN_KEYS_REQUIRED_TO_DEPLOY as readonly string[]).includes(name)) return "to deploy";
  const absent = schema.safeParse(undefined);
  if (!absent.success) return "yes";
  if (absent.data === undefined) return "no";
  const d = absent.data;
  const empty = (Array.isArray(d) && d.length === 0) || (typeof d === "object" && d !== null && Object.keys(d).length === 0);
  return empty ? `no (\`${JSON.stringify(d)}\`)` : `no (\`${typeof d === "string" ? d : JSON.stringify(d)}\`)`;
}

/** Markdown table cells cannot hold a bare `|` or a newline, and `<name>` would render as an HTML tag. */
function cell(text: string): string {
  return text
    .replace(/\n/g, " ")
    .replace(/(?<!\\)\|/g, "\\|")
    .split("`")
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;"))) // code spans show `<` as typed
    .join("`");
}

export function configTables(): string {
  const rows = ["| key | required (default) | type | meaning |", "| --- | --- | --- | --- |"];
  for (const [name, k] of Object.entries(PLAIN_KEYS)) {
    rows.push(`| \`helios:${name}\` | ${requirement(name, k.schema)} | ${cell(describeType(k.schema))} | ${cell(k.doc)} |`);
  }
  rows.push("", "Secrets (`pulumi config set --secret`; a plain value is refused):", "", "| key | required | meaning |", "| --- | --- | --- |");
  for (const [name, doc] of Object.entries(SECRET_KEYS)) {
    const required = (SECRETS_REQUIRED_TO_DEPLOY as readonly string[]).includes(name) ? "to deploy" : "per option";
    rows.push(`| \`helios:${name}\` | ${required} | ${cell(doc)} |`);
  }
  return rows.join("\n");
}

export function docWithTables(doc: string, tables: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${path.relative(root, CONFIG_DOC)} has no ${START} … ${END} block`);
  return doc.slice(0, start + START.length) + "\n" + tables + "\n" + doc.slice(end);
}

if (require.main === module) {
  fs.writeFileSync(CONFIG_DOC, docWithTables(fs.readFileSync(CONFIG_DOC, "utf8"), configTables()));
  console.log("docs/configuration.md config tables written");
}
