/** Consumer health behind /readyz and /healthz: a consumer that died makes the pod unready, then not live. */
import { ConsumerHealth } from "../src/health";

describe("ConsumerHealth", () => {
  let now = 0;
  const h = () => new ConsumerHealth(() => now);

  it("is not ready before the consumer joined its group, but live (start-up is not a failure)", () => {
    const c = h();
    expect(c.running).toBe(false);
    expect(c.live(60_000)).toBe(true);
  });

  it("stops being ready at a crash and stops being live once down past the grace period", () => {
    now = 1000;
    const c = h();
    c.joined();
    expect(c.running).toBe(true);
    c.crashed(false);
    expect(c.gaveUp).toBe(true);
    expect(c.running).toBe(false);
    now += 60_000;
    expect(c.live(60_000)).toBe(true);
    now += 1;
    expect(c.live(60_000)).toBe(false);
  });

  it("a crash kafkajs restarts from is ready again once the consumer rejoins", () => {
    now = 0;
    const c = h();
    c.joined();
    c.crashed(true);
    expect(c.running).toBe(false);
    now += 5000;
    c.joined();
    expect(c.running).toBe(true);
    now += 600_000;
    expect(c.live(60_000)).toBe(true);
  });

  it("an unexpected STOP is a dead consumer; our own shutdown is not", () => {
    now = 0;
    const c = h();
    c.joined();
    c.stopped();
    now += 61_000;
    expect(c.live(60_000)).toBe(false);
    const d = h();
    d.joined();
    d.stopping();
    d.stopped();
    now += 61_000;
    expect(d.live(60_000)).toBe(true);
  });

  it("a batch that keeps failing (kafkajs re-delivers it forever) is down from the first failure until a success", () => {
    now = 0;
    const c = h();
    c.joined();
    c.batchFailed();
    expect(c.running).toBe(false);
    now += 30_000;
    c.batchFailed();
    now += 31_000;
    expect(c.live(60_000)).toBe(false);
    c.batchSucceeded();
    expect(c.running).toBe(true);
    expect(c.live(60_000)).toBe(true);
  });
});
