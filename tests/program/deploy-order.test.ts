// The Automation API driver deploys secondaries before primaries and revisits stacks that
// came before a peer, so every stack ends up federating all its peers.
import { planDeployOrder } from "../../scripts/lib/deploy-order";

describe("deploy order", () => {
  it("deploys the repo's pair as dc-b, dc-a, then dc-b again", () => {
    const plan = planDeployOrder([
      { stack: "dc-a", role: "primary", peers: ["dc-b"] },
      { stack: "dc-b", role: "secondary", peers: ["dc-a"] },
    ]);
    expect(plan.order).toEqual(["dc-b", "dc-a"]);
    // dc-b came before its peer dc-a, so it is updated once more to read dc-a's outputs.
    expect(plan.secondPass).toEqual(["dc-b"]);
  });

  it("needs no second pass when only the primary reads peers", () => {
    const plan = planDeployOrder([
      { stack: "hub", role: "primary", peers: ["edge-1", "edge-2"] },
      { stack: "edge-2", role: "secondary", peers: [] },
      { stack: "edge-1", role: "secondary", peers: [] },
    ]);
    expect(plan.order).toEqual(["edge-1", "edge-2", "hub"]);
    expect(plan.secondPass).toEqual([]);
  });

  it("deploys one stack of a pair alone: its peer outside the run is neither ordered nor passed twice", () => {
    const plan = planDeployOrder([{ stack: "dc-b", role: "secondary", peers: ["dc-a"] }]);
    expect(plan).toEqual({ order: ["dc-b"], secondPass: [] });
  });
});
