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

/**
 * Tag on a capacity reservation naming the consumer that launches into it. Karpenter's tag selection requires
 * `karpenter`, so a reservation without it (every node-group block) can never be selected by tags.
 */
export const CAPACITY_CONSUMER_TAG = "blockfleet.io/capacity-consumer";
/** The CAPACITY_CONSUMER_TAG value Karpenter's tag selection requires. */
export const KARPENTER_CONSUMER_TAG_VALUE = "karpenter";

/**
 * Tag on a capacity reservation that lets this environment's reconcile extend it (value: the environment name),
 * besides the reservations the environment file declares.
 */
export const RESERVATION_ENVIRONMENT_TAG = "blockfleet.io/environment";

/** Tag on a capacity reservation the manager bought as a replacement: the purchase intent it settles. */
export const INTENT_ID_TAG = "blockfleet.io/intent-id";

/**
 * Tags on a new capacity block bought for this environment (by hand through `capacity offerings --env`, or by the
 * manager as a replacement): the Karpenter capacity-block pool's `reservation_tags` (when that pool exists), the
 * consumer tag its selector also requires, and the environment tag that lets this environment's reconcile extend it.
 */
export function newBlockReservationTags(environment: string, karpenterReservationTags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return {
    ...(karpenterReservationTags ?? {}),
    [CAPACITY_CONSUMER_TAG]: KARPENTER_CONSUMER_TAG_VALUE,
    [RESERVATION_ENVIRONMENT_TAG]: environment,
  };
}

/** What decides whether an environment runs a capacity-block node pool that selects reservations by tag. */
export interface CapacityBlockPoolSettings {
  readonly karpenter: { readonly enabled: boolean };
  readonly cluster: { readonly auto_mode: boolean };
  readonly node_pools: { readonly gpu_capacity_block: { readonly enabled: boolean; readonly reservation_tags: Readonly<Record<string, string>> } };
}

/**
 * The tags of a new block bought for an environment whose `gpu-capacity-block` pool (Karpenter's, or EKS Auto Mode's
 * of that name) runs, so the pool selects it; undefined when no such pool runs. One source for
 * `capacity offerings --env` and the manager's replacements.
 */
export function environmentNewBlockTags(environment: string, config: CapacityBlockPoolSettings): Record<string, string> | undefined {
  const pool = config.node_pools.gpu_capacity_block;
  if (!(config.karpenter.enabled || config.cluster.auto_mode) || !pool.enabled) return undefined;
  return newBlockReservationTags(environment, pool.reservation_tags);
}

/**
 * The tags of the new blocks the capacity manager may buy for this environment (`capacity_manager.allow_new_purchases`,
 * which every replacement needs), which the capacity-block pool must select; undefined when it buys none or no such
 * pool runs.
 */
export function managerNewBlockTags(
  environment: string,
  config: CapacityBlockPoolSettings & { readonly capacity_manager?: { readonly allow_new_purchases: boolean } | undefined },
): Record<string, string> | undefined {
  if (config.capacity_manager?.allow_new_purchases !== true) return undefined;
  return environmentNewBlockTags(environment, config);
}
