/**
 * Writers carry out a plan (src/plan.ts): Kubernetes ConfigMaps (src/k8s-writer.ts, through
 * @kubernetes/client-node 1.x, an ESM package loaded only in Kubernetes mode), or files in a
 * directory (non-Kubernetes use and tests). Both read what is there first,
 * so the caller can check plausibility against the current device count before writing.
 */
import * as fs from "fs";
import * as path from "path";
import { ANN_DEVICES, configMapName, DesiredConfigMap, ExistingConfigMap, planWrites, WriteAction } from "./plan";

export interface TargetWriter {
  /** The generator's ConfigMaps (or their file equivalents) as they are now. */
  readExisting(): Promise<Map<string, ExistingConfigMap>>;
  /** Applies the actions in order; returns how many objects were written or deleted. */
  apply(actions: WriteAction[]): Promise<number>;
  describe(): string;
}

/** The device count recorded by the last successful write (prometheus ConfigMap annotation). */
export function previousDeviceCount(existing: ReadonlyMap<string, ExistingConfigMap>): number | undefined {
  const v = existing.get(configMapName("prometheus"))?.annotations[ANN_DEVICES];
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined;
}

export async function writeTargets(writer: TargetWriter, desired: DesiredConfigMap[], existing: Map<string, ExistingConfigMap>): Promise<{ written: number; actions: WriteAction[] }> {
  const actions = planWrites(desired, existing);
  return { written: await writer.apply(actions), actions };
}

const STATE_FILE = ".helios-targets-state.json";

/**
 * Files: every ConfigMap key becomes `<dir>/<key>` (keys are unique across kinds), written
 * atomically (temporary file in the same directory + rename). The state file remembers which
 * ConfigMap each file belongs to and the annotations, so the same plan logic applies.
 */
export class DirectoryWriter implements TargetWriter {
  constructor(private readonly dir: string) {}

  describe(): string {
    return `files in ${this.dir}`;
  }

  async readExisting(): Promise<Map<string, ExistingConfigMap>> {
    const out = new Map<string, ExistingConfigMap>();
    const stateFile = path.join(this.dir, STATE_FILE);
    if (!fs.existsSync(stateFile)) return out;
    let state: Record<string, { keys: string[]; annotations: Record<string, string> }>;
    try {
      state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
    } catch (e) {
      throw new Error(`${stateFile} is not valid JSON (${(e as Error).message}); remove it to start over`);
    }
    for (const [name, s] of Object.entries(state)) {
      const data: Record<string, string> = {};
      for (const k of s.keys) {
        const f = path.join(this.dir, k);
        if (fs.existsSync(f)) data[k] = fs.readFileSync(f, "utf8");
      }
      out.set(name, { name, data, annotations: s.annotations });
    }
    return out;
  }

  async apply(actions: WriteAction[]): Promise<number> {
    fs.mkdirSync(this.dir, { recursive: true });
    const existing = await this.readExisting();
    const state: Record<string, { keys: string[]; annotations: Record<string, string> }> = {};
    for (const [name, cm] of existing) state[name] = { keys: Object.keys(cm.data).sort(), annotations: cm.annotations };
    let n = 0;
    for (const a of actions) {
      if (a.op === "unchanged") continue;
      if (a.op === "delete") {
        for (const k of state[a.name]?.keys ?? []) fs.rmSync(path.join(this.dir, k), { force: true });
        delete state[a.name];
      } else {
        const old = state[a.cm.name]?.keys ?? [];
        for (const [k, v] of Object.entries(a.cm.data).sort(([x], [y]) => (x < y ? -1 : 1))) {
          const f = path.join(this.dir, k);
          if (fs.existsSync(f) && fs.readFileSync(f, "utf8") === v) continue;
          atomicWrite(f, v);
        }
        for (const k of old) if (!(k in a.cm.data)) fs.rmSync(path.join(this.dir, k), { force: true });
        state[a.cm.name] = { keys: Object.keys(a.cm.data).sort(), annotations: a.cm.annotations };
      }
      n++;
    }
    if (n > 0) atomicWrite(path.join(this.dir, STATE_FILE), JSON.stringify(state, Object.keys(state).length ? undefined : undefined, 2) + "\n");
    return n;
  }
}

export function atomicWrite(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}
