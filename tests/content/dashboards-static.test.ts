// Provisioning check of every dashboard JSON: the 14 required dashboards exist in their
// folders, uids are unique, every datasource uid is one Grafana provisions, every variable a
// query uses is defined (or built in), and bad dashboards are refused with a clear message.
import * as fs from "fs";
import * as path from "path";
import { DASHBOARD_FOLDERS, DATASOURCES, checkDashboards, dashboardQueries, loadDashboards, referencedVariables } from "../../components/visualization/dashboards";
import { grafanaDatasources } from "../../components/visualization/grafana";
import { tempDir } from "../helpers/tools";

const METRICS = ["Network Overview", "Interface Analytics", "Device Health", "Site Overview", "Latency & Reachability", "BGP Status", "Top Talkers (metrics)", "Alerts Overview"];
const FLOWS = ["Top Talkers", "Traffic Matrix", "AS Paths", "Protocol Distribution", "Geographic Flows", "Interface Correlation"];

describe("dashboards are valid for provisioning", () => {
  const dashboards = loadDashboards();

  it("has the 8 metrics and 6 flow dashboards in their folders", () => {
    expect(dashboards.filter((d) => d.folderKey === "metrics").map((d) => d.title).sort()).toEqual([...METRICS].sort());
    expect(dashboards.filter((d) => d.folderKey === "flows").map((d) => d.title).sort()).toEqual([...FLOWS].sort());
    expect(new Set(dashboards.map((d) => d.folder))).toEqual(new Set(Object.values(DASHBOARD_FOLDERS)));
  });

  it("passes the provisioning checks: unique uids, provisioned datasources, defined variables", () => {
    expect(checkDashboards(dashboards)).toEqual([]);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(14);
  });

  it("uses exactly the datasource uids Grafana provisions", () => {
    const provisioned = new Set(grafanaDatasources("http://q", { host: "ch", port: 9000, username: "u" }).datasources.map((d) => d.uid));
    const used = new Set(dashboards.flatMap((d) => dashboardQueries(d).map((q) => q.datasource)));
    for (const uid of used) expect(provisioned).toContain(uid);
    expect(used).toEqual(new Set([DATASOURCES.thanos.uid, DATASOURCES.clickhouse.uid]));
  });

  it("gives every dashboard the datacenter/region/site/device filters (flows: region/site/device)", () => {
    for (const d of dashboards) {
      const names = d.json.templating.list.map((v: { name: string }) => v.name);
      const expected = d.uid === "helios-alerts-overview" ? ["datacenter"] : d.folderKey === "flows" && d.uid !== "helios-flows-interface-correlation" ? ["region", "site", "device"] : ["datacenter", "region", "site", "device"];
      expect({ uid: d.uid, names: names.filter((n: string) => expected.includes(n)) }).toEqual({ uid: d.uid, names: expected });
    }
  });

  it("every flow panel picks its table by the time range: flows_raw only in a range-guarded branch beside a rollup", () => {
    const flowSql = dashboards.flatMap((d) => dashboardQueries(d)).filter((q) => q.datasource === DATASOURCES.clickhouse.uid && !q.panel.startsWith("variable"));
    expect(flowSql.length).toBeGreaterThanOrEqual(25);
    for (const q of flowSql) {
      // Expanded from the {{flows}} macro (flow-tables.ts): every branch reads one table under the pick guard.
      const branches = q.query.match(/FROM helios\.flows_\w+ WHERE \$__timeFilter\(timestamp\) AND [\s\S]*? AND multiIf\([\s\S]*?\) = \d+/g) ?? [];
      expect({ panel: q.panel, raw: /flows_raw/.test(q.query), rollup: /flows_(1m|1h|hosts_1h)\b/.test(q.query), guarded: branches.length >= 2 }).toEqual({ panel: q.panel, raw: true, rollup: true, guarded: true });
      expect(q.query).not.toMatch(/\{\{/);
    }
    // Per-host panels read the host rollup family.
    for (const q of flowSql.filter((x) => /src_addr|dst_addr|dst_port|src_city/.test(x.query))) expect(q.query).toMatch(/flows_hosts_1h/);
  });

  it("finds variable references in every syntax Grafana accepts", () => {
    expect(referencedVariables('up{a=~"$site",b="${device}",c="${region:regex}",d="[[tier]]"} $__rate_interval').sort()).toEqual(["__rate_interval", "device", "region", "site", "tier"]);
  });

  describe("rejects bad dashboards with a message naming the file and the problem", () => {
    const good = JSON.parse(fs.readFileSync(dashboards[0].file, "utf8"));
    const cases: [string, (d: any) => void, string][] = [
      ["an unknown datasource uid", (d) => (d.panels[0].targets[0].datasource = { type: "prometheus", uid: "prom-old" }), "datasource uid prom-old is not provisioned"],
      ["a datasource with the wrong type", (d) => (d.panels[0].targets[0].datasource = { type: "loki", uid: "helios-thanos" }), "has type prometheus, not loki"],
      ["an undefined variable", (d) => (d.panels[0].targets[0].expr = 'up{pod=~"$pod"}'), "variable $pod is not defined"],
      ["a duplicate panel id", (d) => (d.panels[1].id = d.panels[0].id), "is used twice"],
      ["a bad uid", (d) => (d.uid = "has spaces"), "must be 1-40 characters"],
      ["an empty query", (d) => (d.panels[0].targets[0].expr = " "), "empty query"],
      ["a variable defined after its user", (d) => d.templating.list.reverse(), "which is defined after it"],
    ];
    it.each(cases)("%s", (_name, mutate, message) => {
      const dir = tempDir("dash-bad");
      fs.mkdirSync(path.join(dir, "metrics"));
      const copy = JSON.parse(JSON.stringify(good));
      mutate(copy);
      fs.writeFileSync(path.join(dir, "metrics", "bad.json"), JSON.stringify(copy));
      expect(() => loadDashboards(dir)).toThrow(message);
      expect(() => loadDashboards(dir)).toThrow("bad.json");
    });

    it("a duplicate uid across files", () => {
      const dir = tempDir("dash-dup");
      fs.mkdirSync(path.join(dir, "metrics"));
      fs.writeFileSync(path.join(dir, "metrics", "a.json"), JSON.stringify(good));
      fs.writeFileSync(path.join(dir, "metrics", "b.json"), JSON.stringify(good));
      expect(() => loadDashboards(dir)).toThrow(`uid ${good.uid} is also used by`);
    });

    it("invalid JSON and an unknown folder", () => {
      const dir = tempDir("dash-json");
      fs.mkdirSync(path.join(dir, "metrics"));
      fs.mkdirSync(path.join(dir, "logs"));
      fs.writeFileSync(path.join(dir, "metrics", "broken.json"), "{ not json");
      expect(() => loadDashboards(dir)).toThrow(/logs: unknown dashboard folder[\s\S]*broken\.json: not valid JSON/);
    });
  });
});
