/**
 * Order in which stacks are deployed by the Automation API driver (scripts/deploy.ts).
 * Secondaries go first so that a primary, deployed after them, reads their exported
 * federation endpoints in the same run; a stack deployed before one of its peers gets a
 * second pass at the end so it federates that peer too.
 */
export interface StackRole {
  stack: string;
  role: "primary" | "secondary";
  peers: string[];
}

export interface DeployPlan {
  /** Stacks in first-pass order. */
  order: string[];
  /** Stacks to update once more after the first pass, because a peer came after them. */
  secondPass: string[];
}

export function planDeployOrder(stacks: StackRole[]): DeployPlan {
  // A peer outside this run (`npm run deploy -- up dc-b`) is deployed by another run: it is not
  // ordered here, and this run federates whatever that peer has exported so far.
  const names = new Set(stacks.map((s) => s.stack));
  stacks = stacks.map((s) => ({ ...s, peers: s.peers.filter((p) => names.has(p)) }));
  const rank = (s: StackRole) => (s.role === "secondary" ? 0 : 1);
  const order = [...stacks].sort((a, b) => rank(a) - rank(b) || a.stack.localeCompare(b.stack)).map((s) => s.stack);
  const position = new Map(order.map((name, i) => [name, i]));
  const secondPass = order.filter((name) => {
    const s = stacks.find((x) => x.stack === name)!;
    return s.peers.some((p) => position.get(p)! > position.get(name)!);
  });
  return { order, secondPass };
}
