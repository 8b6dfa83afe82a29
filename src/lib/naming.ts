/**
 * One place for physical names, so every resource of an environment is recognisably its own and renames are
 * deliberate. Names are lower-case, DNS-safe, and cut to the limits AWS imposes.
 */
export interface Naming {
  readonly environment: string;
  /** The EKS cluster name, also the Karpenter discovery tag value. */
  readonly clusterName: string;
  /** `<env>-<suffix>`, cut to maxLength. */
  resource(suffix: string, maxLength?: number): string;
  stackName(kind: string): string;
}

export function naming(environment: string): Naming {
  const clusterName = `blockfleet-${environment}`;
  return {
    environment,
    clusterName,
    resource: (suffix, maxLength = 64) => truncate(`${clusterName}-${suffix}`, maxLength),
    stackName: (kind) => `${environment}-${kind}`,
  };
}

function truncate(name: string, maxLength: number): string {
  return name.length <= maxLength ? name : name.slice(0, maxLength).replace(/-+$/, "");
}
