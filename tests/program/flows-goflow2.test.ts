// The goflow2 arguments the program deploys (components/flows/goflow2.ts) are accepted by the
// real goflow2 v2.2.6 (engine goflow2: go install of the pinned module). `-v` makes goflow2
// parse every flag and exit; an unknown or mistyped flag exits 2 with "flag provided but not
// defined". The full goflow2 -> Kafka path is exercised by services/flow-enricher's e2e test.
import { goflow2Args } from "../../components/flows/goflow2";
import { IMAGES } from "../../components/versions";
import { pinnedVersion, run, tool } from "../helpers/tools";

describe("goflow2 arguments on the real goflow2", () => {
  it("pins the same release as the engine", () => {
    expect(IMAGES.goflow2.tag).toBe(pinnedVersion("HELIOS_GOFLOW2_VERSION"));
  });

  it("parses every deployed flag", () => {
    const ok = run(tool("goflow2"), ["-v", ...goflow2Args()]);
    expect(ok.stderr).not.toMatch(/flag provided but not defined/);
    expect(ok.status).toBe(0);
  });

  it("would reject a mistyped flag (the check has teeth)", () => {
    const bad = run(tool("goflow2"), ["-v", ...goflow2Args(), "-transport.kafka.topc=x"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/flag provided but not defined: -transport.kafka.topc/);
  });
});
