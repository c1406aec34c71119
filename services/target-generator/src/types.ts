/**
 * The inventory model the generators work on: one monitored device, normalized from NetBox.
 * Label values are NetBox slugs (site, region, vendor = manufacturer, platform, role), the
 * device name, and the `monitoring_tier` custom field.
 */

import type { ProbeKind, TaxonomyLabel } from "./contract";

// The taxonomy labels and probe kinds are the program's contract too (src/contract.ts).
export { PROBE_KINDS, TAXONOMY_LABELS } from "./contract";
export type { ProbeKind, TaxonomyLabel };
export type Taxonomy = Record<TaxonomyLabel, string>;

/** One blackbox probe of a device: `icmp`, `tcp:<port>`, `http[:<port>][/path]`, `dns[:<port>]`. */
export interface ProbeSpec {
  kind: ProbeKind;
  /** The probe target as blackbox_exporter gets it (host, host:port or URL). */
  target: string;
}

/** Which primary IP a target uses (`--address-family`, or the device's `address_family` custom field). */
export const ADDRESS_FAMILIES = ["ipv4", "ipv6", "prefer-ipv4", "prefer-ipv6"] as const;
export type AddressFamily = (typeof ADDRESS_FAMILIES)[number];

/**
 * Inputs that fell back to a default on this device (null in NetBox, or an optional custom
 * field that does not exist). Counted per field so a mass flip to the fallback (a field
 * emptied or deleted in NetBox) stops the write instead of relabelling every device.
 */
export const FALLBACK_FIELDS = ["platform", "custom_fields.gnmi_port", "custom_fields.snmp_module", "custom_fields.snmp_auth", "custom_fields.telemetry_profile", "custom_fields.address_family"] as const;
export type FallbackField = (typeof FALLBACK_FIELDS)[number];

export interface Device {
  /** NetBox device id (for logs). */
  id: number;
  /** NetBox's `display` string, which names even unnamed devices (for logs). */
  display: string;
  /** Management address without prefix length (IPv4 dotted or IPv6). */
  address: string;
  labels: Taxonomy;
  gnmi: { enabled: boolean; port: number };
  snmp: { enabled: boolean; module: string; auth: string };
  telemetryProfile: string;
  probes: ProbeSpec[];
  fallbacks: FallbackField[];
}

/** Why a device (or one of its targets) was left out; counted per reason. */
export interface Skip {
  /** Device name, or `id:<n>` for an unnamed device. */
  device: string;
  id?: number;
  /** NetBox's `display` string ("r105-torsw:1" for an unnamed virtual-chassis member). */
  display?: string;
  reason: string;
  detail: string;
  /** "device" = left out entirely; otherwise the one target type left out. */
  scope: "device" | "gnmic" | "snmp" | "blackbox";
}
