import * as fs from "fs";
import * as path from "path";
import { NODE_FLAGS } from "../src/node-flags";

describe("node flags", () => {
  it("the image runs the enricher with exactly the flags the tests and benchmarks use", () => {
    const dockerfile = fs.readFileSync(path.join(__dirname, "..", "Dockerfile"), "utf8");
    const entrypoint = dockerfile.match(/^ENTRYPOINT (\[.*\])$/m);
    expect(entrypoint).not.toBeNull();
    expect(JSON.parse(entrypoint![1])).toEqual(["node", ...NODE_FLAGS, "dist/main.js"]);
  });
});
