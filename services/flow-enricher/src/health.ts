/**
 * Whether the Kafka consumer is alive, for the probes. The consumer's events (CRASH, GROUP_JOIN,
 * STOP) move it between states; the pod stops being Ready as soon as the consumer is down, and
 * stops being Live once it has stayed down for the grace period, so Kubernetes restarts a pod
 * whose consumer died (kafkajs gave up, or keeps failing to rejoin) instead of leaving it
 * running idle while its partitions wait.
 */
export class ConsumerHealth {
  /** ms since epoch the consumer went down; undefined while it runs (or before start) */
  private downSince: number | undefined;
  private started = false;
  private intentional = false;
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

  /** STOP outside of our own shutdown means the consumer is gone */
  stopped(): void {
    if (!this.intentional) this.downSince ??= this.now();
  }

  stopping(): void {
    this.intentional = true;
  }

  /** consuming now (Ready) */
  get running(): boolean {
    return this.started && this.downSince === undefined;
  }

  /** how long the consumer has been down, ms (0 when running or never started) */
  downForMs(): number {
    return this.downSince === undefined ? 0 : this.now() - this.downSince;
  }

  /** false once the consumer has been down longer than `graceMs` (Live) */
  live(graceMs: number): boolean {
    return this.downForMs() <= graceMs;
  }
}
