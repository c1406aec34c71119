/**
 * Every Helm chart version and container image Helios deploys, pinned in this one place.
 * Components import from here; the plan's summary lists what ends up deployed.
 * Each entry says where its version was checked upstream.
 */

/** A pinned Helm chart. */
export interface ChartPin {
  chart: string;
  version: string;
  repository: string;
}

/** A pinned container image. */
export interface ImagePin {
  repository: string;
  tag: string;
}

export function imageRef(pin: ImagePin): string {
  return `${pin.repository}:${pin.tag}`;
}

export const CHARTS = {
} satisfies Record<string, ChartPin>;

export const IMAGES = {
} satisfies Record<string, ImagePin>;
