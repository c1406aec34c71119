/**
 * `{{ params.x }}`, `{{ target.device }}`, `{{ execution.name }}` substitution. Deliberately
 * not a template language: no expressions, no functions, so a Runbook cannot compute anything
 * the schema did not validate, and every reference can be checked before the runbook is Ready.
 */
const REF = /\{\{\s*([a-zA-Z]+)\.([a-zA-Z0-9_]+)\s*\}\}/g;
const ANY_BRACES = /\{\{|\}\}/;

export const TARGET_FIELDS = ["device", "address", "port", "site", "platform"] as const;
export const EXECUTION_FIELDS = ["name", "namespace", "runbook"] as const;

export interface TemplateContext {
  params: Record<string, string>;
  target: Partial<Record<(typeof TARGET_FIELDS)[number], string>>;
  execution: Partial<Record<(typeof EXECUTION_FIELDS)[number], string>>;
}

/** Every `scope.name` reference in a string, and whether braces appear that are not a reference. */
export function references(text: string): { refs: { scope: string; name: string }[]; malformed: boolean } {
  const refs = [...text.matchAll(REF)].map((m) => ({ scope: m[1], name: m[2] }));
  return { refs, malformed: ANY_BRACES.test(text.replace(REF, "")) };
}

export function render(text: string, ctx: TemplateContext): string {
  return text.replace(REF, (whole, scope: string, name: string) => {
    const table = (ctx as unknown as Record<string, Record<string, string | undefined>>)[scope];
    const v = table?.[name];
    if (v === undefined) throw new Error(`template reference ${whole} has no value`);
    return v;
  });
}
