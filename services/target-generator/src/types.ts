/**
 * The inventory model the generators work on: one monitored device, normalized from NetBox.
 * Label values are NetBox slugs (site, region, vendor = manufacturer, platform, role), the
 * device name, and the `monitoring_tier` custom field.
 */

/** The seven taxonomy labels (same list and order as components/labels.ts TAXONOMY_LABELS; a test checks). */
export const TAXONOMY_LABELS = ["device", "site", "region", "vendor", "platform", "role", "tier"] as const;
export type TaxonomyLabel = (typeof TAXONOMY_LABELS)[number];
export type Taxonomy = Record<TaxonomyLabel, string>;

export const PROBE_KINDS = ["icmp", "tcp", "http", "dns"] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

/** One blackbox probe of a device: `icmp`, `tcp:<port>`, `http[:<port>][/path]`, `dns[:<port>]`. */
export interface ProbeSpec {
  kind: ProbeKind;
  /** The probe target as blackbox_exporter gets it (host, host:port or URL). */
  target: string;
}

export interface Device {
  /** NetBox device id (for logs). */
  id: number;
  /** Management address without prefix length (IPv4 dotted or IPv6). */
  address: string;
  labels: Taxonomy;
  gnmi: { enabled: boolean; port: number };
  snmp: { enabled: boolean; module: string; auth: string };
  telemetryProfile: string;
  probes: ProbeSpec[];
}

/** Why a device (or one of its targets) was left out; counted per reason. */
export interface Skip {
  device: string;
  id?: number;
  reason: string;
  detail: string;
  /** "device" = left out entirely; otherwise the one target type left out. */
  scope: "device" | "gnmic" | "snmp" | "blackbox";
}
