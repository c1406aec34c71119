/**
 * The running service: Kafka chunk → Processor (decode/enrich/encode) → pack → produce → commit,
 * plus the NetBox refresher, GeoIP reloads, metrics and health endpoints, graceful SIGTERM.
 */
import * as http from "http";
import type { Logger } from "pino";
import { Settings } from "./config";
import { Enricher } from "./enrich";
import { GeoIp } from "./geoip";
import { KafkaIO, KafkajsConsumerIO } from "./kafka";
import { Metrics, startHttp } from "./metrics";
import { NetBoxClient, NetBoxRefresher } from "./netbox";
import { packByExporter } from "./pack";
import { BatchResult, Processor } from "./pipeline";
import { LabelCounts, Resolver } from "./resolve";
import { RATE_SOURCES } from "./codec";

export class Service {
  readonly metrics: Metrics;
  readonly enricher: Enricher;
  readonly geo: GeoIp;
  readonly netbox: NetBoxRefresher;
  readonly kafka: KafkaIO;
  readonly resolver: Resolver;
  private readonly processor: Processor;
  private readonly lastLogged = new Map<string, number>();
  private readonly flushedBySource = new Array<number>(RATE_SOURCES.length).fill(0);
  private server?: http.Server;
  private lastLoop = Date.now();
  private loopTimer?: NodeJS.Timeout;
  private stopping = false;
  consuming = false;

  constructor(private readonly s: Settings, private readonly log: Logger, kafka?: KafkaIO) {
    // refuses to start when a GeoIP file is missing (the error names the path)
    this.geo = new GeoIp(s.GEOIP_CITY_PATH, s.GEOIP_ASN_PATH);
    this.enricher = new Enricher(this.geo, s.GEOIP_CACHE_SIZE);
    this.metrics = new Metrics(() => this.enricher.stats);
    this.metrics.geoipLastReload.set(this.geo.lastReload);
    this.resolver = new Resolver({ sampling: s.SAMPLING_RATES, maxAgeNs: s.FLOW_MAX_AGE_SECONDS * 1e9, maxFutureNs: s.FLOW_MAX_FUTURE_SKEW_SECONDS * 1e9 });
    this.processor = new Processor(this.enricher, s.MAX_MESSAGE_BYTES, this.resolver);
    const client = new NetBoxClient({
      url: s.NETBOX_URL,
      token: s.NETBOX_TOKEN,
      ifIndexField: s.NETBOX_IFINDEX_FIELD,
      tierField: s.NETBOX_TIER_FIELD,
      samplingRateField: s.NETBOX_SAMPLING_RATE_FIELD,
    });
    this.netbox = new NetBoxRefresher(
      client,
      (snap) => {
        this.enricher.setNetBox(snap);
        this.resolver.setNetBoxDefaults(new Map([...snap.byAddress].map(([addr, d]) => [addr, d.samplingRate ?? 0])));
        this.metrics.netboxLastReload.set(snap.builtAt);
        this.metrics.netboxDevices.set(snap.devices);
        log.info({ devices: snap.devices, interfaces: snap.interfaces, addresses: snap.byAddress.size }, "netbox cache swapped in");
      },
      (e) => {
        this.metrics.netboxFailures.inc();
        log.warn({ err: e.message }, "netbox refresh failed; keeping the last good cache");
      },
    );
    this.kafka =
      kafka ??
      new KafkajsConsumerIO({
        brokers: s.KAFKA_BROKERS,
        clientId: s.KAFKA_CLIENT_ID,
        groupId: s.KAFKA_GROUP_ID,
        topicRaw: s.KAFKA_TOPIC_RAW,
        topicEnriched: s.KAFKA_TOPIC_ENRICHED,
        topicDeadLetter: s.KAFKA_TOPIC_DEAD_LETTER,
        compression: s.KAFKA_COMPRESSION,
        producerClient: s.KAFKA_PRODUCER_CLIENT,
        chunkSize: s.BATCH_SIZE,
        partitionsConcurrently: s.KAFKA_PARTITIONS_CONCURRENTLY,
        onError: (e) => log.error({ err: e.message }, "kafka consumer crashed"),
        onProduceError: (e) => {
          this.metrics.produceErrors.inc();
          log.warn({ err: e.message }, "produce failed; batch will be re-delivered");
        },
      });
  }

  async start(): Promise<void> {
    this.server = await startHttp(
      this.metrics,
      {
        // live: the event loop turns AND the consumer has not been down past the grace period
        live: () => Date.now() - this.lastLoop < 30_000 && this.kafka.consumerHealth.live(this.s.CONSUMER_DEAD_LIVENESS_SECONDS * 1000),
        ready: () => ({
          ok: this.consuming && this.kafka.connected && this.kafka.consumerHealth.running && !this.stopping,
          detail: {
            kafka: this.kafka.connected,
            consumerRunning: this.kafka.consumerHealth.running,
            consumerDownSeconds: this.kafka.consumerHealth.downForMs() / 1000,
            netboxLoaded: this.netbox.current !== undefined,
            netboxFailures: this.netbox.failures,
            stopping: this.stopping,
          },
        }),
      },
      this.s.HTTP_PORT,
      this.s.HTTP_HOST,
    );
    this.loopTimer = setInterval(() => {
      this.lastLoop = Date.now();
      this.metrics.consumerDown.set(this.kafka.consumerHealth.downForMs() / 1000);
    }, 1000);
    this.loopTimer.unref();
    // first NetBox load before consuming, so early flows are enriched; a failure is not fatal
    await this.netbox.refresh();
    this.netbox.start(this.s.NETBOX_REFRESH_SECONDS * 1000);
    this.geo.watch(
      this.s.GEOIP_RELOAD_CHECK_SECONDS * 1000,
      () => {
        this.enricher.setGeo(this.geo);
        this.metrics.geoipLastReload.set(this.geo.lastReload);
        this.log.info("geoip databases reloaded");
      },
      (e) => {
        this.metrics.geoipReloadFailures.inc();
        this.log.warn({ err: e.message }, "geoip reload failed; keeping the previous databases");
      },
    );
    await this.kafka.start(async (messages) => {
      const t0 = process.hrtime.bigint();
      const res: BatchResult = { out: [], dead: [] };
      for (const m of messages) this.processor.processOne(m.value, m.key, res);
      const packed = packByExporter(res.out, this.s.OUTPUT_MESSAGE_BYTES);
      try {
        await this.kafka.produce(packed, res.dead);
      } catch (e) {
        this.kafka.consumerHealth.batchFailed();
        throw e;
      }
      this.kafka.consumerHealth.batchSucceeded();
      this.metrics.consumed.inc(messages.length);
      this.metrics.enriched.inc(res.out.length);
      this.metrics.producedMessages.inc(packed.length);
      for (const d of res.dead) {
        this.metrics.deadLettered.inc({ stage: d.stage });
        this.log.debug({ stage: d.stage, err: d.error }, "dead-lettered");
      }
      this.flushFlagged();
      this.metrics.batchLatency.observe(Number(process.hrtime.bigint() - t0) / 1e9);
    });
    this.consuming = true;
    this.log.info({ topic: this.s.KAFKA_TOPIC_RAW, group: this.s.KAFKA_GROUP_ID }, "consuming");
  }

  /**
   * Moves the per-flow counts of flagged flows (resolve.ts, enrich.ts) into metrics, with a log
   * line per {what, exporter, reason} at most once a minute, so nothing is flagged silently.
   */
  flushFlagged(): void {
    const st = this.resolver.stats;
    for (let i = 1; i < RATE_SOURCES.length; i++) {
      const d = st.bySource[i] - this.flushedBySource[i];
      if (d > 0) this.metrics.samplingRateResolved.inc({ source: RATE_SOURCES[i] }, d);
      this.flushedBySource[i] = st.bySource[i];
    }
    const drain = (what: string, m: LabelCounts, inc: (c: { exporter: string; reason: string; n: number }) => void) => {
      for (const [k, c] of m) {
        inc(c);
        const key = what + "|" + k;
        const now = Date.now();
        if ((this.lastLogged.get(key) ?? 0) < now - 60_000) {
          this.lastLogged.set(key, now);
          this.log.warn({ exporter: c.exporter, reason: c.reason, flows: c.n }, what);
        }
      }
      m.clear();
    };
    drain("sampling rate unknown: flows stored with sampling_rate 0", st.rateUnknown, (c) => this.metrics.samplingRateUnknown.inc({ exporter: c.exporter, reason: c.reason }, c.n));
    drain("implausible exporter time: flows stored at time_received", st.timeImplausible, (c) => this.metrics.timeImplausible.inc({ exporter: c.exporter, reason: c.reason }, c.n));
    drain("sFlow special interface value: stored as ifIndex 0 plus a flag", st.specialInterfaces, (c) => this.metrics.sflowSpecialInterfaces.inc({ direction: c.exporter, kind: c.reason }, c.n));
    drain("exporter unknown to NetBox: flows without device data", this.enricher.stats.unknownExporters, (c) => this.metrics.unknownExporter.inc({ exporter: c.exporter, reason: c.reason }, c.n));
  }

  /** Drains the in-flight chunk (produce + commit), then closes everything. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.netbox.stop();
    this.geo.close();
    await this.kafka.stop();
    this.consuming = false;
    if (this.loopTimer) clearInterval(this.loopTimer);
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  get httpPort(): number {
    return (this.server?.address() as { port: number } | null)?.port ?? 0;
  }
}
