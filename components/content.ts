/**
 * Every content file the program deploys, read and checked before the first resource is
 * registered (issue 18): a bad file under config/ stops `pulumi up` (and the offline plan) with
 * one ConfigError listing every problem, each naming its file and path, instead of failing inside
 * a layer after other layers have registered resources (a partial update).
 *
 * The layers read the same files again with the same functions when they build their resources;
 * this pass only makes sure none of them can throw there. Checks that need a peer stack's outputs
 * (storage/federation.ts) cannot run before resources exist: peers are read through
 * StackReferences, which are resources.
 */
import * as fs from "fs";
import { requestedByPolicy, runbookCrds } from "./automation/runbook-operator";
import { renderBlackboxConfig } from "./collection/blackbox-exporter";
import { GNMIC_MERGED_TARGETS, loadGnmicSubscriptions, renderGnmicConfig } from "./collection/gnmic";
import { renderSnmpModules } from "./collection/snmp-exporter";
import { loadStaticTargets } from "./collection/static-targets";
import { HeliosConfig } from "./config";
import { ConfigError } from "./errors";
import { goflow2Mapping } from "./flows/goflow2";
import { loadJmxRules } from "./flows/kafka-cluster";
import { ALERTMANAGER_TEMPLATE, renderAlertmanagerConfig } from "./visualization/alertmanager";
import { loadDashboards } from "./visualization/dashboards";
import { loadRuleFiles } from "./visualization/rules";

/** One content check: what it reads, and the read. */
export interface ContentCheck {
  /** What is read (for a message when the check throws something other than a ConfigError). */
  readonly what: string;
  /** Reads and checks; throws a ConfigError naming the file and path. */
  readonly run: () => unknown;
}

/** The content checks the stack's options call for. */
export function contentChecks(config: Pick<HeliosConfig, "collectionTargets">): ContentCheck[] {
  const checks: ContentCheck[] = [
    { what: "gnmic subscriptions", run: () => loadGnmicSubscriptions() },
    { what: "gnmic config", run: () => renderGnmicConfig({ targetsFile: GNMIC_MERGED_TARGETS, tls: { skipVerify: false } }) },
    { what: "SNMP modules", run: () => renderSnmpModules() },
    { what: "blackbox modules", run: () => renderBlackboxConfig() },
    { what: "goflow2 mapping", run: () => goflow2Mapping() },
    { what: "Kafka JMX exporter rules", run: () => loadJmxRules() },
    { what: "alert rules", run: () => loadRuleFiles() },
    { what: "dashboards", run: () => loadDashboards() },
    {
      what: "Alertmanager template",
      // every receiver present: the template's placeholders and YAML are checked whatever is configured
      run: () => renderAlertmanagerConfig(fs.readFileSync(ALERTMANAGER_TEMPLATE, "utf8"), { pagerdutyRoutingKey: "x", slackWebhookUrl: "x", smtpPassword: "x", emailTo: "x@example.net", emailFrom: "x@example.net", emailSmarthost: "x:25", emailUsername: "x" }),
    },
    { what: "runbook CRDs", run: () => runbookCrds() },
    { what: "runbook admission policy", run: () => requestedByPolicy() },
  ];
  if (config.collectionTargets === "static") checks.push({ what: "static targets", run: () => loadStaticTargets() });
  return checks;
}

/** Runs every check; throws one ConfigError listing all problems. */
export function validateContent(config: Pick<HeliosConfig, "collectionTargets">, checks = contentChecks(config)): void {
  const problems: string[] = [];
  for (const c of checks) {
    try {
      c.run();
    } catch (e) {
      problems.push(e instanceof ConfigError ? e.message : `${c.what}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(`invalid Helios content under config/:\n  - ${problems.join("\n  - ")}`);
}
