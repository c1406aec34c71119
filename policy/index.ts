/**
 * The Helios policy pack for the Pulumi CLI: `pulumi preview|up --policy-pack policy/`
 * (scripts/deploy.ts passes it on every preview and update). The rules live in rules.ts, shared
 * with the offline plan (scripts/lib/policy-check.ts); this file only adapts them to @pulumi/policy.
 * The CLI starts it through our launcher (PulumiPolicy.yaml, scripts/test-infra/engines/pulumi.sh).
 */
import { PolicyPack, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PolicyResource, RULES, Rule } from "./rules";

/** The pack's name, as the CLI prints it next to each violation. */
export const POLICY_PACK_NAME = "helios";

function toPulumiPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
  const base = { name: rule.name, description: rule.description, enforcementLevel: rule.enforcementLevel };
  if (rule.kind === "resource") {
    return {
      ...base,
      validateResource: (args, reportViolation) => {
        for (const message of rule.check({ type: args.type, name: args.name, props: args.props })) reportViolation(message);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, reportViolation) => {
      const byResource = new Map<PolicyResource, string>();
      const resources = args.resources.map((r) => {
        const pr: PolicyResource = { type: r.type, name: r.name, props: r.props };
        byResource.set(pr, r.urn);
        return pr;
      });
      for (const v of rule.check(resources)) reportViolation(v.message, byResource.get(v.resource));
    },
  };
}

new PolicyPack(POLICY_PACK_NAME, { policies: RULES.map(toPulumiPolicy) });
