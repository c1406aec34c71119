/**
 * helios:awaitWorkloads=false: for clusters that store objects but run no pods (the API-server-only
 * clusters of tests/deploy). Pulumi would otherwise wait for Deployments, StatefulSets, Services and
 * Jobs to become ready, and Helm for its hook Jobs, until they time out.
 *
 * Applied once, at the top of the component tree, as a resource transformation (the in-process kind:
 * the language host the tests build predates the engine-side `transforms`, see engines/pulumi.sh).
 */
import * as pulumi from "@pulumi/pulumi";

export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/** Marks one Kubernetes resource, or a Helm release, as not awaited. Other resources pass through. */
export const skipAwaitTransformation: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  if (type === RELEASE_TYPE) {
    // The Release's names for Helm's --no-hooks: disableWebhooks on install, disableCRDHooks on
    // upgrade (pulumi-kubernetes 4.x helm_release.go).
    return { props: { ...props, skipAwait: true, disableWebhooks: true, disableCRDHooks: true }, opts };
  }
  if (!type.startsWith("kubernetes:") || type.startsWith("pulumi:providers:") || !props.metadata) return undefined;
  const metadata = props.metadata as Record<string, unknown>;
  const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}), [SKIP_AWAIT_ANNOTATION]: "true" };
  return { props: { ...props, metadata: { ...metadata, annotations } }, opts };
};
