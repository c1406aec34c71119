/**
 * Whether the Kafka consumer is alive, for the probes. The consumer's events (CRASH, GROUP_JOIN,
 * STOP) and the outcome of each batch move it between states; the pod stops being Ready as soon as the consumer is down, and
 * stops being Live once it has stayed down for the grace period, so Kubernetes restarts a pod
 * whose consumer died (kafkajs gave up, or keeps failing to rejoin) instead of leaving it
 * running idle while its partitions wait.
 */
export class ConsumerHealth {
  /** ms since epoch the consumer went down; undefined while it runs (or before start) */
  private downSince: number | undefined;
  private started = false;
  private intentional = false;
  /** ms since epoch batches started failing (produce/commit); undefined after a success */
  private failingSince: number | undefined;
  /** the last crash was final (kafkajs will not restart the consumer) */
  gaveUp = false;

  constructor(private readonly now: () => number = Date.now) {}

  joined(): void {
    this.started = true;
    this.downSince = undefined;
    this.gaveUp = false;
  }

  crashed(willRestart: boolean): void {
    this.downSince ??= this.now();
    if (!willRestart) this.gaveUp = true;
  }

  /**
   * A batch failed (its produce or commit threw): kafkajs re-delivers it, forever if the failure
   * persists (a refused topic, a broker that stays away), so the consumer runs but makes no
   * progress. Counted as down from the first failure until a batch succeeds.
   */
  batchFailed(): void {
    this.failingSince ??= this.now();
  }

  batchSucceeded(): void {
    this.failingSince = undefined;
  }

  /** STOP outside of our own shutdown means the consumer is gone */
  stopped(): void {
    if (!this.intentional) this.downSince ??= this.now();
  }

  stopping(): void {
    this.intentional = true;
  }

  /** consuming now (Ready) */
  get running(): boolean {
    return this.started && this.downSince === undefined && this.failingSince === undefined;
  }

  /** how long the consumer has been down or stuck on failing batches, ms (0 when running or never started) */
  downForMs(): number {
    const since = Math.min(this.downSince ?? Infinity, this.failingSince ?? Infinity);
    return since === Infinity ? 0 : this.now() - since;
  }

  /** false once the consumer has been down longer than `graceMs` (Live) */
  live(graceMs: number): boolean {
    return this.downForMs() <= graceMs;
  }
}
