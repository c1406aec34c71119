/**
 * gNMI with real clients. Our test target (gnmi-target/target.ts: written for the tests because
 * no Set-capable target installs here) is checked with the REAL gnmic CLI — capabilities, get,
 * set, subscribe, authentication — and then the runner's gNMI step executors (which drive
 * gnmic) run the interface-bounce sample's steps against it: the interface goes down, then up.
 * The runner's Subscribe also runs against the real openconfig fake_server (Subscribe only).
 */
import { spawn, spawnSync } from "child_process";
import { Device } from "../src/inventory";
import { executeStep, Outputs, StepEnv } from "../src/steps";
import { Runbook } from "../src/types";
import { GnmiServer, startGnmiServer } from "../../../tests/helpers/collection-engines";
import { tool } from "../../../tests/helpers/tools";
import { readSample } from "./cluster";
import { GnmiTarget, startGnmiTarget } from "./gnmi-harness";

describe("gNMI test target, spoken to by the real gnmic", () => {
  let t: GnmiTarget;
  let gnmic: string;
  const base = () => ["-a", `127.0.0.1:${t.port}`, "--insecure", "-u", "admin", "-p", "s3cret", "--format", "json"];
  const g = (args: string[]) => spawnSync(gnmic, [...base(), ...args], { encoding: "utf8", timeout: 30_000 });
  beforeAll(async () => {
    gnmic = tool("gnmic");
    t = await startGnmiTarget({ username: "admin", password: "s3cret" });
  });
  afterAll(async () => t?.stop());

  test("capabilities and get", () => {
    const caps = spawnSync(gnmic, ["-a", `127.0.0.1:${t.port}`, "--insecure", "-u", "admin", "-p", "s3cret", "capabilities"], { encoding: "utf8" });
    expect(caps.stdout).toMatch(/gNMI version: 0.7.0/);
    expect(caps.stdout).toMatch(/JSON_IETF/);
    const get = g(["get", "--path", "/interfaces/interface[name=Ethernet1]/state/oper-status", "--encoding", "json_ietf"]);
    expect(get.status).toBe(0);
    expect(JSON.parse(get.stdout)[0].updates[0]).toEqual({ Path: "interfaces/interface[name=Ethernet1]/state/oper-status", values: { "interfaces/interface/state/oper-status": "UP" } });
  });

  test("wrong credentials are refused with UNAUTHENTICATED; an unknown path with NOT_FOUND", () => {
    const bad = spawnSync(gnmic, ["-a", `127.0.0.1:${t.port}`, "--insecure", "-u", "admin", "-p", "nope", "get", "--path", "/interfaces"], { encoding: "utf8" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/Unauthenticated/);
    const missing = g(["get", "--path", "/interfaces/interface[name=Ethernet9]"]);
    expect(missing.stderr).toMatch(/NotFound/);
  });

  test("set update/replace/delete, then a subscribe stream sees the interface go down and up", async () => {
    const sub = spawn(gnmic, ["-a", `127.0.0.1:${t.port}`, "--insecure", "-u", "admin", "-p", "s3cret", "subscribe", "--path", "/interfaces/interface[name=Ethernet2]/state/oper-status", "--stream-mode", "on-change", "--format", "flat"]);
    let lines = "";
    sub.stdout.on("data", (c) => (lines += c));
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(g(["set", "--update-path", "/interfaces/interface[name=Ethernet2]/config/enabled", "--update-value", "false", "--encoding", "json_ietf"]).status).toBe(0);
      await new Promise((r) => setTimeout(r, 800));
      const set = g(["set", "--update-path", "/interfaces/interface[name=Ethernet2]/config/enabled", "--update-value", "true", "--replace-path", "/interfaces/interface[name=Ethernet2]/config/description", "--replace-value", '"uplink"', "--delete", "/interfaces/interface[name=Ethernet2]/state/counters", "--encoding", "json_ietf"]);
      expect(JSON.parse(set.stdout).results.map((r: any) => r.operation).sort()).toEqual(["DELETE", "REPLACE", "UPDATE"]);
      await new Promise((r) => setTimeout(r, 800));
    } finally {
      sub.kill("SIGTERM");
    }
    expect(lines.match(/oper-status: (\w+)/g)).toEqual(["oper-status: UP", "oper-status: DOWN", "oper-status: UP"]);
    const desc = g(["get", "--path", "/interfaces/interface[name=Ethernet2]/config/description"]);
    expect(JSON.parse(desc.stdout)[0].updates[0].values).toEqual({ "interfaces/interface/config/description": "uplink" });
    expect(g(["get", "--path", "/interfaces/interface[name=Ethernet2]/state/counters"]).status).not.toBe(0);
  });

  test("the runner's step executors run interface-bounce's steps: down, then up as seen by Get", async () => {
    const rb = readSample("interface-bounce.yaml") as Runbook;
    const device: Device = { name: "leaf1", address: "127.0.0.1", port: t.port };
    const env: StepEnv = { gnmicBin: gnmic, gnmiTls: "insecure", gnmiUsername: "admin", gnmiPassword: "s3cret" };
    const ctx = { params: { interface: "Ethernet1" }, target: { device: "leaf1" }, execution: { name: "e2e", runbook: "interface-bounce" } };
    const outputs: Outputs = new Map();
    const step = (name: string) => rb.spec.steps.find((s) => s.name === name)!;
    const before = t.sets().length;

    const down = await executeStep(step("disable"), device, ctx, outputs, env);
    expect(down).toMatchObject({ ok: true, response: { results: [{ operation: "UPDATE", path: "interfaces/interface[name=Ethernet1]/config/enabled" }] } });
    const get = { name: "read", kind: "gnmiGet" as const, gnmiGet: { paths: ["/interfaces/interface[name={{ params.interface }}]/state/admin-status"] } };
    expect((await executeStep(get, device, ctx, outputs, env)).ok).toBe(true);
    expect(outputs.get("read")).toBe("DOWN");

    expect((await executeStep(step("enable"), device, ctx, outputs, env)).ok).toBe(true);
    const verify = await executeStep(step("verify-up"), device, ctx, outputs, env);
    expect(verify).toMatchObject({ ok: true, response: { matched: true } });
    expect(outputs.get("verify-up")).toBe("UP");
    expect(t.sets().slice(before).map((s) => s.update)).toEqual([
      [["/interfaces/interface[name=Ethernet1]/config/enabled", false]],
      [["/interfaces/interface[name=Ethernet1]/config/enabled", true]],
    ]);
  });

  test("missing credentials fail the step with the Secret to fix, instead of gnmic prompting", async () => {
    const device: Device = { name: "leaf1", address: "127.0.0.1", port: t.port };
    const env: StepEnv = { gnmicBin: gnmic, gnmiTls: "insecure" };
    await expect(executeStep({ name: "g", kind: "gnmiGet", gnmiGet: { paths: ["/interfaces"] } }, device, { params: {}, target: {}, execution: {} }, new Map(), env)).rejects.toThrow(/GNMI_CREDENTIALS_SECRET/);
  });

  test("a subscribe that never sees its value fails at its timeout", async () => {
    const device: Device = { name: "leaf1", address: "127.0.0.1", port: t.port };
    const env: StepEnv = { gnmicBin: gnmic, gnmiTls: "insecure", gnmiUsername: "admin", gnmiPassword: "s3cret" };
    const ctx = { params: {}, target: { device: "leaf1" }, execution: { name: "e2e" } };
    const r = await executeStep({ name: "never", kind: "gnmiSubscribe", gnmiSubscribe: { path: "/interfaces/interface[name=Ethernet1]/state/oper-status", until: { equals: '"TESTING"' }, timeoutSeconds: 2 } }, device, ctx, new Map(), env);
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/no notification .* equal to "TESTING" within 2s/);
  });
});

describe("the runner's Subscribe against the real openconfig fake_server", () => {
  // fake_server streams fixed notifications for every path, so this also proves the runner
  // only counts notifications on the path it subscribed to.
  let server: GnmiServer;
  const elem = (name: string, keys: Record<string, string> = {}) => `elem: { name: "${name}" ${Object.entries(keys).map(([k, v]) => `key: { key: "${k}" value: "${v}" }`).join(" ")} }`;
  const upd = (elems: string[], val: string) => `update: { path: { ${elems.join(" ")} } val: { ${val} } }`;
  const bgpState = (addr: string) => [elem("network-instances"), elem("network-instance", { name: "default" }), elem("protocols"), elem("protocol", { identifier: "BGP", name: "BGP" }), elem("bgp"), elem("neighbors"), elem("neighbor", { "neighbor-address": addr }), elem("state"), elem("session-state")];
  // A fresh server per test: fake_server's fixed responses are consumed by the first stream.
  beforeEach(async () => {
    const ts = BigInt(Date.now()) * 1_000_000n;
    server = await startGnmiServer("leaf-fake", [
      `update: { timestamp: ${ts} ${upd(bgpState("192.0.2.1"), 'string_val: "ESTABLISHED"')} ${upd(bgpState("192.0.2.2"), 'string_val: "ACTIVE"')} }`,
      `update: { timestamp: ${ts} ${upd([elem("interfaces"), elem("interface", { name: "Ethernet2" }), elem("state"), elem("oper-status")], 'string_val: "DOWN"')} }`,
      "sync_response: true",
    ]);
  });
  afterEach(async () => server?.stop());

  const device = () => ({ name: "leaf-fake", address: "127.0.0.1", port: Number(server.address.split(":")[1]) });
  // fake_server accepts any credentials; the runner always sends the Secret's.
  const env = (): StepEnv => ({ gnmicBin: tool("gnmic"), gnmiTls: "skip-verify", gnmiUsername: "netops", gnmiPassword: "unused" });
  const rb = () => readSample("bgp-session-reset.yaml") as Runbook;

  test("bgp-session-reset's verify step sees its neighbor ESTABLISHED", async () => {
    const step = rb().spec.steps.find((s) => s.name === "verify-established")!;
    const ctx = { params: { neighbor: "192.0.2.1", networkInstance: "default" }, target: { device: "leaf-fake" }, execution: { name: "x" } };
    const outputs: Outputs = new Map();
    const r = await executeStep({ ...step, gnmiSubscribe: { ...step.gnmiSubscribe!, timeoutSeconds: 20 } }, device(), ctx, outputs, env());
    expect(r).toMatchObject({ ok: true, response: { matched: true } });
    expect(outputs.get("verify-established")).toBe("ESTABLISHED");
  });

  test("a neighbor streamed as ACTIVE does not satisfy it, even though another neighbor is ESTABLISHED", async () => {
    const step = rb().spec.steps.find((s) => s.name === "verify-established")!;
    const ctx = { params: { neighbor: "192.0.2.2", networkInstance: "default" }, target: { device: "leaf-fake" }, execution: { name: "x" } };
    const r = await executeStep({ ...step, gnmiSubscribe: { ...step.gnmiSubscribe!, timeoutSeconds: 4 } }, device(), ctx, new Map(), env());
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/equal to "ESTABLISHED" within 4s/);
    expect(JSON.stringify(r.response)).toContain("ACTIVE");
  });
});
