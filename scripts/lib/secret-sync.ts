/**
 * Whether the device credentials an External Secrets store provides have arrived ("credentials
 * validated"): for every ExternalSecret Helios renders (label helios.io/device-credentials), its
 * Ready condition and its target Secret. Pure over the objects; scripts/check-secrets.ts reads them
 * from the cluster.
 */

export interface SecretSyncReport {
  /** namespace/name of the ExternalSecret. */
  readonly externalSecret: string;
  readonly ok: boolean;
  /** One line for a person: what is wrong and where to look. */
  readonly message: string;
}

/** Assesses ExternalSecrets (as the API returns them) against the Secrets that exist (namespace/name). */
export function assessExternalSecrets(externalSecrets: readonly Record<string, any>[], existingSecrets: ReadonlySet<string>): SecretSyncReport[] {
  return externalSecrets.map((es) => {
    const ns = es.metadata?.namespace;
    const id = `${ns}/${es.metadata?.name}`;
    const target = `${ns}/${es.spec?.target?.name ?? es.metadata?.name}`;
    const store = `${es.spec?.secretStoreRef?.kind ?? "SecretStore"} ${es.spec?.secretStoreRef?.name}`;
    const keys = [...new Set((es.spec?.data ?? []).map((d: any) => `${d.remoteRef?.key}.${d.remoteRef?.property}`))].join(", ");
    const ready = (es.status?.conditions ?? []).find((c: any) => c.type === "Ready");
    if (!ready) {
      return { externalSecret: id, ok: false, message: `${id}: not synced: no status from the External Secrets Operator (is it running, and does ${store} exist?); needs ${keys}` };
    }
    if (ready.status !== "True") {
      return { externalSecret: id, ok: false, message: `${id}: not synced from ${store}: ${ready.reason ?? "NotReady"}: ${ready.message ?? "no message"}; needs ${keys}` };
    }
    if (!existingSecrets.has(target)) {
      return { externalSecret: id, ok: false, message: `${id}: reports Ready but its Secret ${target} is missing` };
    }
    return { externalSecret: id, ok: true, message: `${id}: synced from ${store} (refreshed ${es.status?.refreshTime ?? "at an unknown time"})` };
  });
}
