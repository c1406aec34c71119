/**
 * Metrics the stale-sync alert and dashboards use (prom-client, own registry). Long-running
 * `--interval` mode serves them on /metrics; a one-shot run can write them to a file.
 */
import { Counter, Gauge, Registry } from "prom-client";

export class SyncMetrics {
  readonly registry = new Registry();
  /** Failed syncs by stage: netbox, schema, generate, read_targets, guard, write. */
  readonly errors = new Counter({ name: "helios_target_sync_errors_total", help: "Target syncs that failed, by stage.", labelNames: ["stage"], registers: [this.registry] });
  readonly runs = new Counter({ name: "helios_target_sync_runs_total", help: "Target sync attempts.", registers: [this.registry] });
  /**
   * Registered at the first success only (prom-client would otherwise export 0 from the start),
   * so a generator that never succeeded has no such series and TargetSyncNeverSucceeded applies.
   */
  readonly lastSuccess = new Gauge({ name: "helios_target_sync_last_success_timestamp_seconds", help: "Unix time of the last successful sync.", registers: [] });
  readonly lastRun = new Gauge({ name: "helios_target_sync_last_run_timestamp_seconds", help: "Unix time of the last sync attempt.", registers: [this.registry] });
  readonly devices = new Gauge({ name: "helios_target_sync_devices", help: "Devices per target type in the last successful sync.", labelNames: ["target_type"], registers: [this.registry] });
  readonly skipped = new Gauge({ name: "helios_target_sync_skipped_devices", help: "Devices (or one of their target types) left out of the last sync, by reason.", labelNames: ["reason", "scope"], registers: [this.registry] });
  readonly renamed = new Gauge({ name: "helios_target_sync_renamed_targets", help: "Targets written under another key than the device name in the last sync (duplicate names), by reason and target type.", labelNames: ["reason", "scope"], registers: [this.registry] });
  readonly fallbacks = new Gauge({ name: "helios_target_sync_label_fallbacks", help: "Devices whose value for a NetBox field fell back to the default in the last sync (platform -> unknown, snmp_module -> default, ...).", labelNames: ["field"], registers: [this.registry] });
  readonly written = new Counter({ name: "helios_target_sync_configmap_writes_total", help: "ConfigMaps (or files) created, replaced or deleted.", registers: [this.registry] });
  readonly duration = new Gauge({ name: "helios_target_sync_duration_seconds", help: "Duration of the last sync attempt.", registers: [this.registry] });

  /** Records a successful sync at `unixSeconds`. */
  markSuccess(unixSeconds: number): void {
    if (!this.registry.getSingleMetric("helios_target_sync_last_success_timestamp_seconds")) this.registry.registerMetric(this.lastSuccess);
    this.lastSuccess.set(unixSeconds);
  }

  constructor() {
    for (const stage of ["netbox", "schema", "generate", "read_targets", "guard", "write"]) this.errors.inc({ stage }, 0);
  }
}
