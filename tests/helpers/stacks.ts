/** Stack configs for program tests: the repo's stacks and a base to vary. */
import * as path from "path";
import { synthesize, SynthResult } from "../../scripts/lib/synthesize";
import { tempDir } from "./tools";

/** A complete valid config; tests override single keys. */
export function baseConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "helios:datacenter": "dc-t",
    "helios:region": "eu-west",
    "helios:role": "primary",
    "helios:tier": "small",
    "helios:storageTopology": "single-dc-minio",
    "helios:peers": [],
    "helios:managementCidrs": ["10.10.0.0/16"],
    "helios:netboxUrl": "https://netbox.example.net",
    ...overrides,
  };
}

/** Synthesizes a config in a private out/ directory (peers resolve from `outRoot` if given). */
export function synth(config: Record<string, unknown>, opts: { stack?: string; outRoot?: string; write?: boolean } = {}): Promise<SynthResult> {
  return synthesize({ stack: opts.stack ?? "dc-t", config, outRoot: opts.outRoot ?? tempDir("plan"), write: opts.write });
}

/** Synthesizes a stack from its Pulumi.<stack>.yaml in the repo. */
export function synthRepoStack(stack: string, outRoot: string, write = true): Promise<SynthResult> {
  return synthesize({ stack, outRoot, write, projectRoot: path.resolve(__dirname, "..", "..") });
}

export function ofType(result: SynthResult, type: string) {
  return result.resources.filter((r) => r.type === type);
}
