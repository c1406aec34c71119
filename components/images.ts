/**
 * The image reference of a Helios service. With a digest (helios:imageDigests, written by
 * `npm run images`), `registry/name:tag@sha256:...`: the kubelet pulls by the digest, the tag only
 * reads well; without one, the mutable tag alone.
 */
import { HeliosServiceImage } from "./config";

export interface ServiceImageArgs {
  /** Registry of the Helios service images (helios:imageRegistry). */
  readonly imageRegistry: string;
  /** Tag of the Helios service images (helios:imageTag). */
  readonly imageTag: string;
  /** Digest per service image (helios:imageDigests): deploy by digest when set. */
  readonly imageDigests?: Partial<Record<HeliosServiceImage, string>>;
}

export function serviceImageRef(args: ServiceImageArgs, service: HeliosServiceImage): string {
  const digest = args.imageDigests?.[service];
  return `${args.imageRegistry}/${service}:${args.imageTag}${digest ? `@${digest}` : ""}`;
}
