/**
 * The oldest NetBox release the registry serves (HELIOS_NETBOX_OLDEST_VERSION in
 * scripts/test-infra/engines/netbox_oldest.sh; PyPI has NetBox only since 4.7), real, with the
 * same realistic inventory as real-netbox-inventory.test.ts: every monitored device accounted
 * for, and a second run rewrites nothing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NetBox, startNetBox } from "../../../tests/helpers/netbox";
import { pinnedVersion } from "../../../tests/helpers/tools";
import { builtCli, runCli } from "./fixtures";
import { expectEveryDeviceAccounted, InventoryDevice, seedInventory } from "./inventory-seed";

const version = pinnedVersion("HELIOS_NETBOX_OLDEST_VERSION");

describe(`the oldest NetBox on PyPI (${version})`, () => {
  let nb: NetBox;
  let inventory: InventoryDevice[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helios-tg-oldest-"));
  const metricsFile = `${dir}.prom`;
  beforeAll(async () => {
    builtCli();
    nb = await startNetBox({ version });
    inventory = await seedInventory(nb);
  }, 600_000);
  afterAll(async () => {
    await nb?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(metricsFile, { force: true });
  });
  jest.setTimeout(300_000);
  const cli = () => runCli(["--netbox-url", nb.url, "--output-dir", dir, "--metrics-file", metricsFile, "--retries", "0"], { NETBOX_TOKEN: nb.tokens.v2 });

  it("is the version the engine pins", async () => {
    expect((await nb.api.status())["netbox-version"]).toBe(version);
  });

  it("every monitored device is written or skipped with reason, NetBox id, display and metric; a rerun rewrites nothing", async () => {
    await expectEveryDeviceAccounted(nb, inventory, await cli(), dir, metricsFile);
    const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    expect((await cli()).status).toBe(0);
    expect(Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]))).toEqual(before);
  });
});
