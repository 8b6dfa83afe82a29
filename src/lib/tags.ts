/** Tags every resource of an environment carries, through the provider's default_tags. */
export function defaultTags(environment: string, userTags: Readonly<Record<string, string>>, production = false): Record<string, string> {
  return {
    ...userTags,
    environment,
    "managed-by": "blockfleet",
    // The policy gate reads this tag to hold the environment to production rules (src/policy, BF-RDS-005).
    ...(production ? { production: "true" } : {}),
  };
}

/** The discovery tag Karpenter selects subnets and security groups by. */
export const KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery";
