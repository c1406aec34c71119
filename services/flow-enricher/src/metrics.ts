/** Prometheus metrics (prom-client). Hot-path counters are plain numbers copied in at scrape time. */
import * as http from "http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { EnrichStats } from "./enrich";

export class Metrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({ name: "helios_flow_enricher_consumed_total", help: "Kafka messages consumed from the raw topic", registers: [this.registry] });
  readonly enriched = new Counter({ name: "helios_flow_enricher_enriched_total", help: "Enriched flows produced and acknowledged", registers: [this.registry] });
  readonly producedMessages = new Counter({
    name: "helios_flow_enricher_produced_messages_total",
    help: "Kafka messages produced to the enriched topic (each packs several flows of one exporter)",
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: "helios_flow_enricher_dead_lettered_total",
    help: "Messages sent to the dead-letter topic, by stage",
    labelNames: ["stage"],
    registers: [this.registry],
  });
  readonly produceErrors = new Counter({ name: "helios_flow_enricher_produce_errors_total", help: "Failed produce calls (the batch is retried, offsets not committed)", registers: [this.registry] });
  readonly batchLatency = new Histogram({
    name: "helios_flow_enricher_batch_duration_seconds",
    help: "Time from a batch's arrival to its acknowledged produce and offset commit",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly netboxLastReload = new Gauge({ name: "helios_flow_enricher_netbox_last_reload_timestamp_seconds", help: "Unix time of the last successful NetBox cache build", registers: [this.registry] });
  readonly netboxFailures = new Counter({ name: "helios_flow_enricher_netbox_refresh_failures_total", help: "NetBox refreshes that failed (the last good cache is kept)", registers: [this.registry] });
  readonly netboxDevices = new Gauge({ name: "helios_flow_enricher_netbox_devices", help: "Devices in the current NetBox cache", registers: [this.registry] });
  readonly geoipLastReload = new Gauge({ name: "helios_flow_enricher_geoip_last_reload_timestamp_seconds", help: "Unix time the GeoIP databases were last (re)loaded", registers: [this.registry] });
  readonly samplingRateUnknown = new Counter({
    name: "helios_flow_enricher_sampling_rate_unknown_total",
    help: "Flows whose sampling rate stayed unknown (not in the flow, options, last-known or config): stored with sampling_rate 0, counted x1",
    labelNames: ["exporter", "reason"],
    registers: [this.registry],
  });
  readonly samplingRateResolved = new Counter({
    name: "helios_flow_enricher_sampling_rate_resolved_total",
    help: "Flows by where their sampling rate came from (override, flow, options, last_known, default, unknown)",
    labelNames: ["source"],
    registers: [this.registry],
  });
  readonly timeImplausible = new Counter({
    name: "helios_flow_enricher_time_implausible_total",
    help: "Flows whose exporter time was implausible, stored at time_received and flagged",
    labelNames: ["exporter", "reason"],
    registers: [this.registry],
  });
  readonly sflowSpecialInterfaces = new Counter({
    name: "helios_flow_enricher_sflow_special_interfaces_total",
    help: "sFlow flows whose input/output was a special value (local, discard, multiple), stored as ifIndex 0 plus a flag",
    labelNames: ["direction", "kind"],
    registers: [this.registry],
  });
  readonly unknownExporter = new Counter({
    name: "helios_flow_enricher_unknown_exporter_flows_total",
    help: "Flows from an exporter NetBox does not know (enriched without device and interface data)",
    labelNames: ["exporter", "reason"],
    registers: [this.registry],
  });
  readonly consumerDown = new Gauge({ name: "helios_flow_enricher_consumer_down_seconds", help: "How long the Kafka consumer has not been running (0 = running)", registers: [this.registry] });
  readonly geoipReloadFailures = new Counter({ name: "helios_flow_enricher_geoip_reload_failures_total", help: "GeoIP reloads that failed (the previous databases are kept)", registers: [this.registry] });

  constructor(stats: () => EnrichStats, defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
    // a Counter (monotonic since start, so rate() works): the enricher's plain counters are copied
    // in as increments right before each scrape, since a prom-client counter cannot be set
    const copied = new Map<string, number>();
    new Counter({
      name: "helios_flow_enricher_cache_lookups_total",
      help: "Cache lookups since start, by cache (geoip, netbox_exporter, netbox_interface) and result",
      labelNames: ["cache", "result"],
      registers: [this.registry],
      collect() {
        const s = stats();
        const copy = (cache: string, result: string, total: number) => {
          const key = `${cache}/${result}`;
          const before = copied.get(key) ?? 0;
          // the enricher's counters only grow: anything else would be a bug, not a reset to publish
          if (total > before) {
            this.inc({ cache, result }, total - before);
            copied.set(key, total);
          }
        };
        copy("geoip", "hit", s.geoCacheHits);
        copy("geoip", "miss", s.geoCacheMisses);
        copy("netbox_exporter", "hit", s.exporterHits);
        copy("netbox_exporter", "miss", s.exporterMisses);
        copy("netbox_interface", "hit", s.ifHits);
        copy("netbox_interface", "miss", s.ifMisses);
      },
    });
    // refreshed from the enricher's plain counters right before each scrape
    new Gauge({
      name: "helios_flow_enricher_cache_hit_ratio",
      help: "Cache hit ratio since start, by cache (geoip, netbox_exporter, netbox_interface)",
      labelNames: ["cache"],
      registers: [this.registry],
      collect() {
        const s = stats();
        const set = (cache: string, hits: number, misses: number) => {
          this.set({ cache }, hits + misses === 0 ? 0 : hits / (hits + misses));
        };
        set("geoip", s.geoCacheHits, s.geoCacheMisses);
        set("netbox_exporter", s.exporterHits, s.exporterMisses);
        set("netbox_interface", s.ifHits, s.ifMisses);
      },
    });
  }
}

export interface Health {
  live(): boolean;
  ready(): { ok: boolean; detail: Record<string, unknown> };
}

/** :8080 — /metrics, /healthz (process alive, loop not wedged), /readyz (consuming). */
export function startHttp(metrics: Metrics, health: Health, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/metrics") {
      metrics.registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { "Content-Type": metrics.registry.contentType });
          res.end(body);
        })
        .catch((e: Error) => {
          res.writeHead(500);
          res.end(e.message);
        });
    } else if (url === "/healthz") {
      const ok = health.live();
      res.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" });
      res.end(ok ? "ok\n" : "unhealthy\n");
    } else if (url === "/readyz") {
      const r = health.ready();
      res.writeHead(r.ok ? 200 : 503, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ ready: r.ok, ...r.detail }) + "\n");
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
