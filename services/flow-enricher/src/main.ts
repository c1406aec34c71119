/** Entry point: settings → Service; SIGTERM/SIGINT drain the in-flight batch and commit before exit. */
import "./version"; // first: `--version` answers before settings are read
import pino from "pino";
import { SettingsError, loadSettings } from "./config";
import { GeoIpFileError } from "./geoip";
import { Service } from "./service";

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (e) {
    if (e instanceof SettingsError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = pino({ level: settings.LOG_LEVEL, base: { service: "flow-enricher" } });
  let svc: Service;
  try {
    svc = new Service(settings, log);
  } catch (e) {
    if (e instanceof GeoIpFileError) {
      log.fatal({ err: e.message }, "refusing to start");
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const shutdown = (sig: string) => {
    log.info({ signal: sig }, "draining");
    const timer = setTimeout(() => {
      log.error("shutdown timed out; exiting without a final commit (uncommitted flows are re-delivered)");
      process.exit(1);
    }, settings.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    svc
      .stop()
      .then(() => {
        clearTimeout(timer);
        log.info("stopped cleanly; offsets committed");
        process.exit(0);
      })
      .catch((e: Error) => {
        log.error({ err: e.message }, "error while stopping");
        process.exit(1);
      });
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
  await svc.start();
  log.info({ port: svc.httpPort }, "flow-enricher started");
}

main().catch((e: Error) => {
  process.stderr.write(`flow-enricher failed: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
