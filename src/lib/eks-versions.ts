/**
 * Kubernetes versions EKS supports (standard or extended support) as of this release of blockfleet, with the date
 * extended support ends. A version past that date is refused: EKS would force-upgrade the cluster.
 */
import { lookupTable } from "./lookup";

export const EKS_VERSIONS: Readonly<Record<string, { readonly endOfExtendedSupport: string }>> = lookupTable<
  Record<string, { readonly endOfExtendedSupport: string }>
>({
  "1.32": { endOfExtendedSupport: "2027-03-23" },
  "1.33": { endOfExtendedSupport: "2027-07-29" },
  "1.34": { endOfExtendedSupport: "2027-12-02" },
  "1.35": { endOfExtendedSupport: "2028-03-27" },
  "1.36": { endOfExtendedSupport: "2028-07-28" },
});

export const SUPPORTED_EKS_VERSIONS = Object.keys(EKS_VERSIONS);
