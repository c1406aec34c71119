/**
 * Step executors for the runner. gNMI goes through the gnmic CLI (shipped in the image): a
 * maintained, complete gNMI client (TLS, auth, JSON_IETF, Subscribe modes) instead of a
 * hand-rolled one. Every executor returns the device's (or service's) response as JSON so it
 * lands in the audit record verbatim.
 */
import { spawn } from "child_process";
import { Device } from "./inventory";
import { render, TemplateContext } from "./template";
import { scriptImageProblem, ScriptOutcome } from "./script";
import { ConditionOperator, Step } from "./types";

export interface StepEnv {
  gnmicBin: string;
  /** insecure (plaintext), skip-verify (TLS, no verification) or tls (TLS, verified against GNMI_CA_FILE). */
  gnmiTls: "insecure" | "skip-verify" | "tls";
  gnmiCaFile?: string;
  gnmiUsername?: string;
  gnmiPassword?: string;
  thanosQueryUrl?: string;
  alertmanagerUrl?: string;
  /** The script image allow-list (SCRIPT_IMAGES); a script step's image must be one of these exactly. */
  scriptImages?: readonly string[];
  /** Runs a script step as its own Job (src/script.ts); the runner binds it to its execution and device. */
  runScript?: (step: Step, command: string[], args: string[], timeoutSeconds: number) => Promise<ScriptOutcome>;
}

/** fetch with the failure named: Node's own message for a refused connection is only "fetch failed". */
async function send(what: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === "TimeoutError" ? "timed out" : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new Error(`${what} ${url} unreachable: ${why}`);
  }
}

export interface StepResult {
  ok: boolean;
  /** stop: a condition with onFalse=stop was false; the execution completes early. */
  stop?: boolean;
  response?: unknown;
  error?: string;
}

export type Outputs = Map<string, unknown>;

function gnmicArgs(env: StepEnv, device: Device, timeoutSeconds: number): string[] {
  const a = ["-a", `${device.address}:${device.port}`, "--timeout", `${timeoutSeconds}s`];
  if (env.gnmiTls === "insecure") a.push("--insecure");
  else if (env.gnmiTls === "skip-verify") a.push("--skip-verify");
  else if (env.gnmiCaFile) a.push("--tls-ca", env.gnmiCaFile);
  // gnmic prompts on a terminal for missing credentials; a Job has none, so say what is missing.
  if (!env.gnmiUsername || env.gnmiPassword === undefined) throw new Error("gNMI credentials missing: GNMI_USERNAME and GNMI_PASSWORD come from the Secret named by GNMI_CREDENTIALS_SECRET");
  a.push("-u", env.gnmiUsername, "-p", env.gnmiPassword);
  return a;
}

function runCli(bin: string, args: string[], timeoutMs: number, onLine?: (line: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string; matched: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let matched = false;
    let pending = "";
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      if (!onLine) return;
      pending += c.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const l of lines) {
        if (!matched && onLine(l)) {
          matched = true;
          child.kill("SIGTERM");
        }
      }
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, matched });
    });
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
}

/** Unwraps gnmic's `get --format json` output to the leaf values, keyed by path. */
export function getValues(response: unknown): unknown {
  if (!Array.isArray(response)) return response;
  const values: unknown[] = [];
  for (const n of response as { updates?: { values?: Record<string, unknown> }[] }[]) {
    for (const u of n.updates ?? []) for (const v of Object.values(u.values ?? {})) values.push(v);
  }
  return values.length === 1 ? values[0] : values;
}

function pick(value: unknown, field?: string): unknown {
  if (!field) return value;
  let cur: unknown = value;
  for (const part of field.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function compare(actual: unknown, op: ConditionOperator, expected?: string): boolean {
  const text = actual === undefined || actual === null ? "" : typeof actual === "string" ? actual : JSON.stringify(actual);
  const empty = text === "" || text === "[]" || text === "{}";
  switch (op) {
    case "nonEmpty":
      return !empty;
    case "empty":
      return empty;
    case "equals":
      return text === expected;
    case "notEquals":
      return text !== expected;
    case "greaterThan":
      return Number(text) > Number(expected);
    case "lessThan":
      return Number(text) < Number(expected);
  }
}

export async function executeStep(step: Step, device: Device, ctx: TemplateContext, outputs: Outputs, env: StepEnv): Promise<StepResult> {
  const r = (s: string) => render(s, ctx);
  const timeout = step.timeoutSeconds ?? 30;
  switch (step.kind) {
    case "gnmiSet": {
      const s = step.gnmiSet!;
      const args = [...gnmicArgs(env, device, timeout), "set", "--encoding", "json_ietf"];
      for (const u of s.update ?? []) args.push("--update-path", r(u.path), "--update-value", r(u.value));
      for (const u of s.replace ?? []) args.push("--replace-path", r(u.path), "--replace-value", r(u.value));
      for (const p of s.delete ?? []) args.push("--delete", r(p));
      const out = await runCli(env.gnmicBin, [...args, "--format", "json"], (timeout + 5) * 1000);
      if (out.code !== 0) return { ok: false, error: `gNMI Set failed: ${out.stderr.trim() || `exit ${out.code}`}`, response: parseJson(out.stdout) };
      return { ok: true, response: parseJson(out.stdout) };
    }
    case "gnmiGet": {
      const g = step.gnmiGet!;
      const args = [...gnmicArgs(env, device, timeout), "get", "--type", g.dataType ?? "ALL", "--encoding", (g.encoding ?? "JSON_IETF").toLowerCase()];
      for (const p of g.paths) args.push("--path", r(p));
      const out = await runCli(env.gnmicBin, [...args, "--format", "json"], (timeout + 5) * 1000);
      if (out.code !== 0) return { ok: false, error: `gNMI Get failed: ${out.stderr.trim() || `exit ${out.code}`}` };
      const response = parseJson(out.stdout);
      outputs.set(step.name, getValues(response));
      return { ok: true, response };
    }
    case "gnmiSubscribe": {
      const sub = step.gnmiSubscribe!;
      const want = r(sub.until.equals);
      const args = [...gnmicArgs(env, device, sub.timeoutSeconds), "subscribe", "--path", r(sub.path), "--mode", "stream", "--stream-mode", sub.mode === "SAMPLE" ? "sample" : "on-change", "--format", "flat"];
      if (sub.mode === "SAMPLE" && sub.sampleIntervalSeconds) args.push("--sample-interval", `${sub.sampleIntervalSeconds}s`);
      const seen: string[] = [];
      // Only notifications on the subscribed path (or below it) count: a target may stream more.
      const norm = (p: string) => p.replace(/^\/+/, "").replace(/^[a-z0-9-]+:/i, "");
      const wantPath = norm(r(sub.path));
      const out = await runCli(env.gnmicBin, args, sub.timeoutSeconds * 1000, (line) => {
        const m = line.match(/^(\S.*?):\s(.*)$/);
        if (!m) return false;
        const p = norm(m[1]);
        if (p !== wantPath && !p.startsWith(wantPath + "/")) return false;
        seen.push(line);
        const value = m[2].trim();
        return value === want || JSON.stringify(value) === want;
      });
      const response = { matched: out.matched, notifications: seen.slice(-20) };
      outputs.set(step.name, seen.length ? seen[seen.length - 1].replace(/^.*?:\s/, "") : undefined);
      if (!out.matched) return { ok: false, response, error: `no notification on ${r(sub.path)} equal to ${want} within ${sub.timeoutSeconds}s${out.stderr ? `: ${out.stderr.trim().slice(0, 300)}` : ""}` };
      return { ok: true, response };
    }
    case "wait":
      await new Promise((res) => setTimeout(res, step.wait!.seconds * 1000));
      return { ok: true, response: { waitedSeconds: step.wait!.seconds } };
    case "notify": {
      const n = step.notify!;
      const message = r(n.message);
      const url = n.channel === "webhook" ? r(n.webhookUrl!) : env.alertmanagerUrl ? `${env.alertmanagerUrl.replace(/\/$/, "")}/api/v2/alerts` : undefined;
      if (!url) return { ok: false, error: "notify to alertmanager but ALERTMANAGER_URL is not set" };
      const body =
        n.channel === "webhook"
          ? { execution: ctx.execution.name, runbook: ctx.execution.runbook, device: device.name, severity: n.severity ?? "info", message }
          : [{ labels: { alertname: "HeliosRunbookNotification", runbook: ctx.execution.runbook ?? "", device: device.name, severity: n.severity ?? "info" }, annotations: { summary: message, execution: ctx.execution.name ?? "" } }];
      const res = await send(n.channel === "webhook" ? "notify: webhook" : "notify: Alertmanager", url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeout * 1000) });
      const text = await res.text();
      if (!res.ok) return { ok: false, error: `notify ${url} answered ${res.status}: ${text.slice(0, 300)}` };
      return { ok: true, response: { status: res.status, body: text.slice(0, 1000) } };
    }
    case "condition": {
      const c = step.condition!;
      let actual: unknown;
      let response: unknown;
      if (c.step !== undefined) {
        actual = pick(outputs.get(c.step), c.field);
        response = { step: c.step, field: c.field, actual };
      } else {
        if (!env.thanosQueryUrl) return { ok: false, error: "condition on PromQL but THANOS_QUERY_URL is not set" };
        const q = r(c.promql!);
        const res = await send("condition: PromQL endpoint", `${env.thanosQueryUrl.replace(/\/$/, "")}/api/v1/query`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          // partial_response=false: a remediation gate must not pass on the data of the stores that
          // happened to answer (Thanos Query's default is to answer with what it has, plus warnings).
          // Prometheus ignores the parameter.
          body: new URLSearchParams({ query: q, partial_response: "false" }).toString(),
          signal: AbortSignal.timeout(timeout * 1000),
        });
        const text = await res.text();
        let body: { status: string; errorType?: string; error?: string; warnings?: string[]; data?: { resultType: string; result: { value?: [number, string] }[] } };
        try {
          body = JSON.parse(text);
        } catch {
          return { ok: false, error: `PromQL ${q}: HTTP ${res.status} from ${env.thanosQueryUrl}, not a Prometheus API answer: ${text.slice(0, 300)}` };
        }
        if (body.status !== "success") return { ok: false, error: `PromQL ${q} failed (${body.errorType ?? `HTTP ${res.status}`}): ${body.error ?? text.slice(0, 300)}` };
        if (body.data?.resultType !== "vector" && body.data?.resultType !== "scalar") return { ok: false, error: `PromQL ${q} returned a ${body.data?.resultType}; a condition needs an instant vector or a scalar` };
        // A scalar's result is the [time, value] pair itself.
        const vals = body.data.resultType === "scalar" ? [(body.data.result as unknown as [number, string])[1]] : body.data.result.map((s) => s.value?.[1]);
        actual = vals.length === 0 ? undefined : vals.length === 1 ? vals[0] : vals;
        response = { query: q, result: body.data?.result, ...(body.warnings?.length ? { warnings: body.warnings } : {}) };
      }
      const expected = c.value === undefined ? undefined : r(c.value);
      if (compare(actual, c.operator, expected)) return { ok: true, response };
      const why = `condition ${c.operator}${expected !== undefined ? ` ${expected}` : ""} is false (actual ${JSON.stringify(actual)})`;
      return c.onFalse === "stop" ? { ok: true, stop: true, response, error: why } : { ok: false, response, error: why };
    }
    case "script": {
      const sc = step.script!;
      // Checked when the runbook is validated too; again here because the allow-list may have shrunk since.
      const problem = scriptImageProblem(sc.image, env.scriptImages ?? []);
      if (problem) return { ok: false, error: problem };
      if (!env.runScript) return { ok: false, error: "script steps run as Jobs: this runner has no Kubernetes access to create one" };
      const out = await env.runScript(step, sc.command.map(r), (sc.args ?? []).map(r), timeout);
      outputs.set(step.name, out.log.trim());
      const response = { job: out.job, pod: out.pod, exitCode: out.exitCode, log: out.log, ...(out.truncated ? { logTruncated: true } : {}) };
      return out.ok ? { ok: true, response } : { ok: false, response, error: out.error };
    }
  }
}
