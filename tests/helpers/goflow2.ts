/**
 * goflow2 as the plan renders it: the Deployment's container args and the mapping ConfigMap, taken
 * from a synthesized stack, with only the addresses and the mapping file's path made local
 * (listeners on 127.0.0.1 and free ports, the test's broker, the ConfigMap's data written to a
 * temp file). Every other flag is passed exactly as rendered, so an engine test runs the
 * deployed collector, never arguments written in the test.
 */
import * as fs from "fs";
import * as path from "path";
import type { SynthResult } from "../../scripts/lib/synthesize";
import { baseConfig, synth } from "./stacks";
import { tempDir } from "./tools";

export interface RenderedGoflow2 {
  args: string[];
  /** ConfigMap data by file name, and where the Deployment mounts it */
  mapping: { dir: string; files: Record<string, string> };
}

const cache = new Map<string, Promise<RenderedGoflow2>>();

/** goflow2's args and mapping as the stack of `tier` renders them (synthesized once per tier). */
export function renderedGoflow2(tier = "small"): Promise<RenderedGoflow2> {
  let p = cache.get(tier);
  if (!p) {
    p = synth(baseConfig({ "helios:tier": tier })).then(goflow2FromPlan);
    cache.set(tier, p);
  }
  return p;
}

export function goflow2FromPlan(plan: SynthResult): RenderedGoflow2 {
  const dep = plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.kubernetesName === "goflow2");
  if (!dep) throw new Error("the plan renders no goflow2 Deployment");
  const pod = dep.inputs.spec.template.spec;
  const c = pod.containers.find((x: { name: string }) => x.name === "goflow2");
  const mount = (c.volumeMounts ?? [])[0] as { name: string; mountPath: string } | undefined;
  if (!mount) throw new Error("goflow2 mounts no mapping volume");
  const vol = pod.volumes.find((v: { name: string }) => v.name === mount.name);
  const cm = plan.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.kubernetesName === vol.configMap.name);
  if (!cm) throw new Error(`the plan renders no ConfigMap ${vol.configMap.name}`);
  return { args: [...c.args], mapping: { dir: mount.mountPath, files: { ...cm.inputs.data } } };
}

export interface LocalAddresses {
  bootstrap: string;
  netflowPort: number;
  sflowPort: number;
  httpPort: number;
}

/**
 * The rendered args with local addresses. Throws when a flag this rewrites is missing, so a
 * change of the rendered listener set is noticed here rather than silently tested around.
 */
export function localGoflow2Args(r: RenderedGoflow2, a: LocalAddresses): string[] {
  const dir = tempDir("goflow2-mapping");
  for (const [name, body] of Object.entries(r.mapping.files)) fs.writeFileSync(path.join(dir, name), body);
  const seen = new Set<string>();
  const out = r.args.map((arg) => {
    const [flag, ...rest] = arg.split("=");
    const value = rest.join("=");
    switch (flag) {
      case "-listen": {
        seen.add(flag);
        return `-listen=${value
          .split(",")
          .map((l) => {
            const m = /^(netflow|sflow):\/\/[^:]*:(\d+)$/.exec(l);
            if (!m) throw new Error(`unexpected goflow2 listener ${l}`);
            return `${m[1]}://127.0.0.1:${m[1] === "netflow" ? a.netflowPort : a.sflowPort}`;
          })
          .join(",")}`;
      }
      case "-addr":
        seen.add(flag);
        return `-addr=127.0.0.1:${a.httpPort}`;
      case "-transport.kafka.brokers":
        seen.add(flag);
        return `-transport.kafka.brokers=${a.bootstrap}`;
      case "-mapping": {
        seen.add(flag);
        if (!value.startsWith(r.mapping.dir + "/")) throw new Error(`-mapping=${value} is not in the mounted ${r.mapping.dir}`);
        const local = path.join(dir, value.slice(r.mapping.dir.length + 1));
        if (!fs.existsSync(local)) throw new Error(`-mapping names ${value}, which the ConfigMap does not hold`);
        return `-mapping=${local}`;
      }
      default:
        return arg;
    }
  });
  for (const f of ["-listen", "-addr", "-transport.kafka.brokers", "-mapping"]) if (!seen.has(f)) throw new Error(`the rendered goflow2 args have no ${f}`);
  return out;
}
