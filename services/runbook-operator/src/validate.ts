/**
 * What admission (the CRD's schema and CEL) cannot see on its own, checked by the operator:
 * template references to undeclared parameters, conditions reading a step that has not run yet,
 * parameter patterns that do not compile or defaults that break their own constraints. The
 * first problem found becomes the Runbook's Ready=False condition, naming the field.
 */
import { scriptImageProblem } from "./script";
import { EXECUTION_FIELDS, references, TARGET_FIELDS } from "./template";
import { Parameter, Runbook, Step } from "./types";

export interface Problem {
  field: string;
  message: string;
}

function stepStrings(step: Step, at: string): [string, string][] {
  const out: [string, string][] = [];
  const s = step.gnmiSet;
  if (s) {
    (s.update ?? []).forEach((u, i) => out.push([`${at}.gnmiSet.update[${i}].path`, u.path], [`${at}.gnmiSet.update[${i}].value`, u.value]));
    (s.replace ?? []).forEach((u, i) => out.push([`${at}.gnmiSet.replace[${i}].path`, u.path], [`${at}.gnmiSet.replace[${i}].value`, u.value]));
    (s.delete ?? []).forEach((p, i) => out.push([`${at}.gnmiSet.delete[${i}]`, p]));
  }
  step.gnmiGet?.paths.forEach((p, i) => out.push([`${at}.gnmiGet.paths[${i}]`, p]));
  if (step.gnmiSubscribe) out.push([`${at}.gnmiSubscribe.path`, step.gnmiSubscribe.path], [`${at}.gnmiSubscribe.until.equals`, step.gnmiSubscribe.until.equals]);
  if (step.notify) out.push([`${at}.notify.message`, step.notify.message]);
  if (step.notify?.webhookUrl) out.push([`${at}.notify.webhookUrl`, step.notify.webhookUrl]);
  const c = step.condition;
  if (c?.promql) out.push([`${at}.condition.promql`, c.promql]);
  if (c?.value !== undefined) out.push([`${at}.condition.value`, c.value]);
  step.script?.command.forEach((a, i) => out.push([`${at}.script.command[${i}]`, a]));
  step.script?.args?.forEach((a, i) => out.push([`${at}.script.args[${i}]`, a]));
  return out;
}

function checkParameter(p: Parameter, at: string): Problem | undefined {
  if (p.pattern !== undefined) {
    try {
      new RegExp(p.pattern);
    } catch (e) {
      return { field: `${at}.pattern`, message: `pattern does not compile: ${(e as Error).message}` };
    }
  }
  if (p.minimum !== undefined && p.maximum !== undefined && p.minimum > p.maximum) return { field: `${at}.minimum`, message: `minimum ${p.minimum} is above maximum ${p.maximum}` };
  if (p.default !== undefined) {
    const err = checkValue(p, p.default);
    if (err) return { field: `${at}.default`, message: `default ${JSON.stringify(p.default)}: ${err}` };
  }
  return undefined;
}

/** Why `value` is not acceptable for `p`, or undefined. */
export function checkValue(p: Parameter, value: string): string | undefined {
  switch (p.type) {
    case "integer":
      if (!/^-?[0-9]{1,15}$/.test(value)) return `not an integer`;
      break;
    case "number":
      if (!/^-?[0-9]+(\.[0-9]+)?$/.test(value)) return `not a number`;
      break;
    case "boolean":
      if (value !== "true" && value !== "false") return `not a boolean (true or false)`;
      break;
    case "string":
      if (p.pattern !== undefined && !new RegExp(p.pattern).test(value)) return `does not match pattern ${p.pattern}`;
      break;
  }
  if (p.type === "integer" || p.type === "number") {
    const n = Number(value);
    if (p.minimum !== undefined && n < p.minimum) return `below minimum ${p.minimum}`;
    if (p.maximum !== undefined && n > p.maximum) return `above maximum ${p.maximum}`;
  }
  if (p.enum && !p.enum.includes(value)) return `not one of ${p.enum.join(", ")}`;
  return undefined;
}

export interface ValidateOptions {
  /** The operator's script image allow-list; undefined skips the check (admission-only validation of samples). */
  scriptImages?: readonly string[];
}

export function validateRunbook(rb: Runbook, opts: ValidateOptions = {}): Problem | undefined {
  const params = new Map((rb.spec.parameters ?? []).map((p) => [p.name, p]));
  for (const [i, p] of (rb.spec.parameters ?? []).entries()) {
    const problem = checkParameter(p, `spec.parameters[${i}]`);
    if (problem) return problem;
  }
  const lists: [string, Step[]][] = [["spec.steps", rb.spec.steps ?? []], ["spec.rollback", rb.spec.rollback ?? []]];
  for (const [listName, steps] of lists) {
    for (const [i, step] of steps.entries()) {
      const at = `${listName}[${i}]`;
      for (const [field, text] of stepStrings(step, at)) {
        const { refs, malformed } = references(text);
        if (malformed) return { field, message: "braces that are not a {{ scope.name }} reference" };
        for (const r of refs) {
          if (r.scope === "params" && !params.has(r.name)) return { field, message: `references undeclared parameter ${r.name}` };
          if (r.scope === "target" && !(TARGET_FIELDS as readonly string[]).includes(r.name)) return { field, message: `unknown target field ${r.name} (one of ${TARGET_FIELDS.join(", ")})` };
          if (r.scope === "execution" && !(EXECUTION_FIELDS as readonly string[]).includes(r.name)) return { field, message: `unknown execution field ${r.name} (one of ${EXECUTION_FIELDS.join(", ")})` };
          if (!["params", "target", "execution"].includes(r.scope)) return { field, message: `unknown reference scope ${r.scope} (params, target or execution)` };
        }
      }
      if (step.script && opts.scriptImages) {
        const problem = scriptImageProblem(step.script.image, opts.scriptImages);
        if (problem) return { field: `${at}.script.image`, message: problem };
      }
      const readStep = step.condition?.step;
      if (readStep !== undefined) {
        const earlier = steps.slice(0, i).map((s) => s.name);
        if (!earlier.includes(readStep)) return { field: `${at}.condition.step`, message: `condition reads step ${readStep}, which does not run before it` };
      }
      if (listName === "spec.rollback" && !(rb.spec.steps ?? []).some((s) => s.name === step.undoes)) {
        return { field: `${at}.undoes`, message: `undoes ${step.undoes ?? "(nothing)"}, which is not a step of spec.steps` };
      }
    }
  }
  if (rb.spec.rollbackOnFailure && (rb.spec.rollback ?? []).length === 0) return { field: "spec.rollback", message: "rollbackOnFailure is true but there are no rollback steps" };
  return undefined;
}

/**
 * The execution's parameters, typed and defaulted by the runbook; an unknown, missing or
 * ill-typed one is refused with its name, so a bad execution fails before anything runs.
 */
export function resolveParameters(rb: Runbook, given: Record<string, string> = {}): { values: Record<string, string> } | { problem: Problem } {
  const declared = rb.spec.parameters ?? [];
  for (const name of Object.keys(given)) {
    if (!declared.some((p) => p.name === name)) return { problem: { field: `spec.parameters.${name}`, message: `runbook ${rb.metadata.name} has no parameter ${name}` } };
  }
  const values: Record<string, string> = {};
  for (const p of declared) {
    const v = given[p.name] ?? p.default;
    if (v === undefined) {
      if (p.required) return { problem: { field: `spec.parameters.${p.name}`, message: `missing required parameter ${p.name} (${p.type})` } };
      continue;
    }
    const err = checkValue(p, v);
    if (err) return { problem: { field: `spec.parameters.${p.name}`, message: `parameter ${p.name}=${JSON.stringify(v)} is ${err.replace(/^not /, "not ")}` } };
    values[p.name] = v;
  }
  return { values };
}
