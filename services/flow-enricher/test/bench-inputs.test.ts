/**
 * Bad input to the flow-path and Kafka client benches is refused with the variable or argument
 * named, before anything starts (the benches themselves run under `npm run bench`, not in CI).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { envNumber, envTier } from "../bench/flow-path";

const BENCH = path.join(__dirname, "..", "bench");

describe("flow-path bench settings", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("reads a window and falls back to the default", () => {
    process.env.BENCH_FLOW_PATH_WINDOW_S = "10";
    expect(envNumber("BENCH_FLOW_PATH_WINDOW_S", 60)).toBe(10);
    delete process.env.BENCH_FLOW_PATH_WINDOW_S;
    expect(envNumber("BENCH_FLOW_PATH_WINDOW_S", 60)).toBe(60);
  });

  it.each([["abc"], ["0"], ["-5"], ["NaN"]])("refuses BENCH_FLOW_PATH_WINDOW_S=%s, naming it", (v) => {
    process.env.BENCH_FLOW_PATH_WINDOW_S = v;
    expect(() => envNumber("BENCH_FLOW_PATH_WINDOW_S", 60)).toThrow(`BENCH_FLOW_PATH_WINDOW_S must be a number ≥ 1 (got "${v}")`);
  });

  it("refuses an unknown tier, listing the known ones", () => {
    process.env.BENCH_FLOW_PATH_TIER = "huge";
    expect(() => envTier()).toThrow('BENCH_FLOW_PATH_TIER must be one of small, medium, large, xl (got "huge")');
    process.env.BENCH_FLOW_PATH_TIER = "large";
    expect(envTier()).toBe("large");
  });
});

function runScript(file: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", path.join(BENCH, file), ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
}

describe("flow generator arguments", () => {
  it.each([
    [{ port: 2055, exporters: 2, rate: 0, seconds: 1, recordsPerDatagram: 30 }, /rate must be a positive number \(got 0\)/],
    [{ port: 2055, exporters: 2, rate: 100, seconds: 1 }, /recordsPerDatagram must be a positive number \(got undefined\)/],
    [{ port: 2055, exporters: 300, rate: 100, seconds: 1, recordsPerDatagram: 30 }, /exporters must be at most 255/],
  ])("refuses %j", (args, msg) => {
    const r = runScript("flow-generator.ts", [JSON.stringify(args)]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});

describe("kafka-clients bench settings", () => {
  it("refuses a non-positive message count before starting a broker", () => {
    const r = runScript("kafka-clients.ts", [], { BENCH_CLIENT_MESSAGES: "lots" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BENCH_CLIENT_MESSAGES, BENCH_CLIENT_RUNS and BENCH_CLIENT_PRODUCE_FLOWS must be positive numbers/);
  });
});
