/**
 * The image reference of a Helios service. With a digest (helios:imageDigests, written by
 * `npm run images`), `registry/name:tag@sha256:...`: the kubelet pulls by the digest, the tag only
 * reads well; without one, the mutable tag alone.
 */
import { HeliosServiceImage } from "./config";

export interface ServiceImageArgs {
  imageRegistry: string;
  imageTag: string;
  imageDigests?: Partial<Record<HeliosServiceImage, string>>;
}

export function serviceImageRef(args: ServiceImageArgs, service: HeliosServiceImage): string {
  const digest = args.imageDigests?.[service];
  return `${args.imageRegistry}/${service}:${args.imageTag}${digest ? `@${digest}` : ""}`;
}
