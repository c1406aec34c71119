// The OIDC role mapping (US2 scenario 4) evaluated by a real JMESPath implementation (the
// reference one, tools venv) on ID-token claims, exactly as Grafana evaluates
// role_attribute_path: helios-admin -> Admin, helios-engineer -> Editor, helios-viewer ->
// Viewer, highest wins; anyone else gets no role, which role_attribute_strict turns into a
// refused login.
import { ROLE_GROUPS, roleAttributePath } from "../../components/visualization/grafana";
import { run, venvPython } from "../helpers/tools";

const EVAL = `
import json, sys, jmespath
job = json.load(sys.stdin)
out = []
for claims in job["claims"]:
    try:
        out.append({"result": jmespath.search(job["expr"], claims)})
    except Exception as exc:
        out.append({"error": type(exc).__name__})
print(json.dumps(out))
`;

function evaluate(expr: string, claims: unknown[]): { result?: unknown; error?: string }[] {
  const r = run(venvPython(), ["-c", EVAL], { input: JSON.stringify({ expr, claims }) });
  if (r.status !== 0) throw new Error(`jmespath failed (run: bash scripts/test-infra/install-tools.sh jmespath): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("Grafana role mapping (JMESPath)", () => {
  it("maps each Helios group to its Grafana role, highest role winning", () => {
    const cases: [string[], string][] = [
      [["helios-viewer"], "Viewer"],
      [["helios-engineer"], "Editor"],
      [["helios-admin"], "Admin"],
      [["helios-viewer", "helios-engineer"], "Editor"],
      [["staff", "helios-viewer", "helios-admin"], "Admin"],
    ];
    const results = evaluate(roleAttributePath("groups"), cases.map(([groups]) => ({ sub: "u1", email: "u1@example.net", groups })));
    expect(results.map((r) => r.result)).toEqual(cases.map(([, role]) => role));
    expect(ROLE_GROUPS.map((g) => g.role)).toEqual(["Admin", "Editor", "Viewer"]);
  });

  it("gives no role to users outside the Helios groups (strict mode refuses their login)", () => {
    const results = evaluate(roleAttributePath("groups"), [{ groups: ["staff"] }, { groups: [] }, { groups: ["helios-viewers"] }, { sub: "no-groups-claim" }]);
    for (const r of results) expect(["Admin", "Editor", "Viewer"]).not.toContain(r.result);
  });

  it("reads a groups claim whose name needs quoting", () => {
    const [r] = evaluate(roleAttributePath("cognito:groups"), [{ "cognito:groups": ["helios-engineer"] }]);
    expect(r.result).toBe("Editor");
  });

  it("a mistyped expression is rejected by the evaluator (the check can fail)", () => {
    const [r] = evaluate(roleAttributePath("groups").replace("contains(", "contains(("), [{ groups: ["helios-admin"] }]);
    expect(r.error).toBeDefined();
  });
});
