/** An External Secrets store config (helios:secretStore) for tests: a Vault ClusterSecretStore created by Helios. */
export function esoStore(datacenter: string) {
  return {
    kind: "ClusterSecretStore",
    name: "helios-vault",
    spec: { provider: { vault: { server: "https://vault.example.net", path: "secret", version: "v2", auth: { kubernetes: { mountPath: "kubernetes", role: "helios" } } } } },
    remoteKeys: { gnmi: `helios/${datacenter}/gnmi`, snmp: `helios/${datacenter}/snmp`, netbox: `helios/${datacenter}/netbox`, maxmind: `helios/${datacenter}/maxmind` },
  };
}
