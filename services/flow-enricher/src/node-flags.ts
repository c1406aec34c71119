/**
 * V8 flags the enricher process runs with: the image's ENTRYPOINT (Dockerfile, checked by
 * test/node-flags.test.ts), the test and bench launchers use these same flags.
 *
 * --max-semi-space-size=64 (MiB): every flow allocates a few short-lived objects, and with the
 * default young generation (16 MiB semi-spaces) scavenges ran often enough to cost a large,
 * jittery share of CPU. Measured in `bench/inprocess.ts` on one machine, back to back:
 * 137k–220k flows per CPU-second without it, 199k–243k with it. Costs ~70 MB more RSS, well
 * inside the container's memory limits (tiers.ts).
 */
export const NODE_FLAGS = ["--max-semi-space-size=64"];
