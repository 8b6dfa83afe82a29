/**
 * fast-check generators for environment files. `validEnvironmentInput` only produces inputs the schema accepts, so
 * properties over it ("a valid config synthesizes", "a valid config passes the policy gate") mean something.
 */
import fc from "fast-check";
import { SUPPORTED_EKS_VERSIONS } from "../../src/lib/eks-versions";
import { CAPACITY_BLOCK_INSTANCE_TYPES, GPU_AMI_TYPES } from "../../src/lib/instance-types";

const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"] as const;

const reservationId = fc.stringMatching(/^[0-9a-f]{17}$/).map((hex) => `cr-${hex}`);
const dnsName = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);

/** AMI types that fit an instance type's architecture and accelerator. */
function amiTypesFor(instanceType: string): string[] {
  const instance = CAPACITY_BLOCK_INSTANCE_TYPES[instanceType]!;
  return Object.entries(GPU_AMI_TYPES)
    .filter(([, ami]) => ami.architecture === instance.architecture && ami.acceleratorKind === instance.acceleratorKind)
    .map(([name]) => name);
}

const capacityBlock = (zones: readonly string[]) =>
  fc
    .record({
      name: dnsName,
      reservation_id: reservationId,
      instance_type: fc.constantFrom(...Object.keys(CAPACITY_BLOCK_INSTANCE_TYPES)),
      instance_count: fc.integer({ min: 1, max: 64 }),
      availability_zone: fc.constantFrom(...zones),
      efa: fc.boolean(),
      root_volume_gib: fc.integer({ min: 50, max: 2000 }),
      consumer: fc.constantFrom("node_group", "karpenter"),
    })
    .chain((block) => fc.constantFrom(...amiTypesFor(block.instance_type)).map((ami_type) => ({ ...block, ami_type })))
    .map((block) => (CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]!.efaUnsupportedReason ? { ...block, efa: false } : block))
    // Karpenter launches NVIDIA blocks without EFA; the others keep their node group.
    .map((block) =>
      block.efa || CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]!.acceleratorKind !== "nvidia" ? { ...block, consumer: "node_group" } : block,
    );

/** Inputs (as an environment file holds them) that the schema accepts. */
export const validEnvironmentInput: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    region: fc.constantFrom(...REGIONS),
    zoneCount: fc.integer({ min: 2, max: 4 }),
    secondOctet: fc.integer({ min: 0, max: 255 }),
    version: fc.constantFrom(...SUPPORTED_EKS_VERSIONS),
    publicEndpoint: fc.boolean(),
    singleNat: fc.boolean(),
    retention: fc.constantFrom(7, 30, 90, 365),
  })
  .chain((base) => {
    const zones = "abcd"
      .slice(0, base.zoneCount)
      .split("")
      .map((letter) => `${base.region}${letter}`);
    return fc
      .uniqueArray(capacityBlock(zones), { maxLength: 3, selector: (block) => block.name })
      .filter((blocks) => new Set(blocks.map((block) => block.reservation_id)).size === blocks.length)
      .map((capacity_blocks) => ({
        region: base.region,
        account_id: "111122223333",
        vpc_cidr: `10.${base.secondOctet}.0.0/16`,
        availability_zones: zones,
        single_nat_gateway: base.singleNat,
        cluster: {
          version: base.version,
          endpoint_public_access: base.publicEndpoint,
          public_access_cidrs: base.publicEndpoint ? ["203.0.113.0/24"] : [],
          log_retention_days: base.retention,
        },
        capacity_blocks,
      }));
  });

/** Ways to break one field on purpose: the path that must be blamed and the input with that field broken. */
export const brokenField: fc.Arbitrary<{ path: string; input: Record<string, unknown> }> = validEnvironmentInput.chain((input) => {
  const breakages: Array<{ path: string; input: Record<string, unknown> }> = [
    { path: "region", input: { ...input, region: "mars-1" } },
    { path: "vpc_cidr", input: { ...input, vpc_cidr: "10.0.0.300/16" } },
    { path: "cluster.version", input: { ...input, cluster: { ...(input.cluster as object), version: "1.0" } } },
    { path: "cluster.log_retention_days", input: { ...input, cluster: { ...(input.cluster as object), log_retention_days: 2 } } },
    { path: "availability_zones", input: { ...input, availability_zones: "us-east-1a" } },
  ];
  const blocks = input.capacity_blocks as Array<Record<string, unknown>>;
  blocks.forEach((block, index) => {
    const broken = (field: string, value: unknown) => ({
      path: `capacity_blocks[${index}].${field}`,
      input: { ...input, capacity_blocks: blocks.map((other, otherIndex) => (otherIndex === index ? { ...block, [field]: value } : other)) },
    });
    breakages.push(broken("reservation_id", "cr-xyz"), broken("instance_type", "m5.large"), broken("instance_count", -1), broken("ami_type", "AL2_x86_64_GPU"));
  });
  return fc.constantFrom(...breakages);
});

/** Platform parts (issue 8) switched on and off; External Secrets only with something to sync. */
const platformInput = (region: string) =>
  fc
    .record({
      model_registry: fc.option(fc.constant({}), { nil: undefined }),
      database: fc.option(fc.record({ multi_az: fc.boolean(), backup_retention_days: fc.integer({ min: 1, max: 35 }) }), { nil: undefined }),
      cache: fc.option(fc.constant({}), { nil: undefined }),
      secrets: fc.option(fc.constant({}), { nil: undefined }),
      external_secrets: fc.option(fc.constant({}), { nil: undefined }),
      load_balancer_controller: fc.option(
        fc.record({
          certificate_arn: fc.constant(`arn:aws:acm:${region}:111122223333:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`),
          scheme: fc.constantFrom("internal", "internet-facing"),
        }),
        { nil: undefined },
      ),
      gpu: fc.option(fc.record({ dcgm_exporter: fc.boolean() }), { nil: undefined }),
      logs: fc.option(fc.constant({}), { nil: undefined }),
      reloader: fc.option(fc.constant({}), { nil: undefined }),
    })
    .map((parts) => {
      const syncs = parts.model_registry ?? parts.database ?? parts.cache ?? parts.secrets;
      const chosen = Object.entries({ ...parts, external_secrets: syncs ? parts.external_secrets : undefined }).filter(([, value]) => value !== undefined);
      return Object.fromEntries(chosen);
    });

/** Every secure option of `capacity_manager` (issue 5) on or off; `api_auth` stays at its IAM default. */
const capacityManagerInput = (region: string) =>
  fc
    .record(
      {
        allow_new_purchases: fc.boolean(),
        extensions_enabled: fc.boolean(),
        log_retention_days: fc.constantFrom(30, 90, 365),
        schedule_expression: fc.constantFrom("rate(1 minute)", "rate(5 minutes)", "cron(0/5 * * * ? *)"),
        notification_email: fc.constant("gpu-oncall@example.com"),
        throttle: fc.record({
          rate_limit: fc.integer({ min: 1, max: 100 }),
          extraBurst: fc.integer({ min: 0, max: 100 }),
          quota_per_day: fc.integer({ min: 1, max: 100_000 }),
        }),
        waf_web_acl_arn: fc.constant(`arn:aws:wafv2:${region}:111122223333:regional/webacl/blockfleet/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b`),
        api_reserved_concurrency: fc.integer({ min: 1, max: 50 }),
        manage_api_gateway_account: fc.boolean(),
        enabled: fc.boolean(),
        extend: fc.record(
          { before_hours: fc.integer({ min: 13, max: 72 }), by_hours: fc.constantFrom(24, 48, 168), require_approval: fc.boolean() },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ["allow_new_purchases"] },
    )
    .map(({ throttle, ...manager }) => ({
      ...manager,
      // New purchases need extension purchasing on (tracking mode buys nothing).
      ...(manager.allow_new_purchases ? { extensions_enabled: true } : {}),
      // A manager that may buy needs a monthly budget.
      ...(manager.allow_new_purchases || manager.extensions_enabled ? { monthly_budget_usd: 50_000 } : {}),
      ...(throttle
        ? { throttle: { rate_limit: throttle.rate_limit, burst_limit: throttle.rate_limit + throttle.extraBurst, quota_per_day: throttle.quota_per_day } }
        : {}),
    }));

/**
 * Valid environments that also switch the optional services on and off (Karpenter and its AMI family, the capacity
 * manager with or without purchases, platform parts), for properties over everything an environment can synthesize.
 * Only the secure choices: opt-ins that weaken security on purpose (`api_key_only`, an endpoint open to 0.0.0.0/0)
 * are left out.
 */
export const validEnvironmentWithServicesInput: fc.Arbitrary<Record<string, unknown>> = validEnvironmentInput.chain((input) =>
  fc
    .record({
      karpenter: fc.record({ enabled: fc.boolean(), ami_family: fc.constantFrom("bottlerocket", "al2023") }),
      capacityManager: fc.option(capacityManagerInput(String(input["region"])), { nil: undefined }),
      platform: fc.option(platformInput(String(input["region"])), { nil: undefined }),
      production: fc.boolean(),
      // EKS Auto Mode (issue 18) in place of Karpenter, with or without its built-in pools.
      autoMode: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.subarray(["general-purpose", "system"]), weight: 1 }),
    })
    .map(({ karpenter, capacityManager, platform, production, autoMode }) => {
      const withProduction =
        platform && production && isJsonRecord(platform["database"]) ? { ...platform, database: { ...platform["database"], multi_az: true } } : platform;
      if (autoMode !== undefined) {
        // Auto Mode has no karpenter section and serves the alb ingress class itself.
        const { load_balancer_controller: ingress, ...rest } = withProduction ?? {};
        return {
          ...input,
          cluster: { ...(input["cluster"] as Record<string, unknown>), auto_mode: true, auto_mode_node_pools: autoMode },
          ...(capacityManager ? { capacity_manager: capacityManager } : {}),
          ...(withProduction ? { platform: { ...rest, ...(ingress ? { auto_mode_ingress: ingress } : {}) } } : {}),
          ...(production ? { production } : {}),
        };
      }
      return {
        ...input,
        // Without Karpenter every block is its node group's (a karpenter block would be refused).
        capacity_blocks: (input["capacity_blocks"] as Array<Record<string, unknown>>).map((block) =>
          karpenter.enabled ? block : { ...block, consumer: "node_group" },
        ),
        karpenter,
        ...(capacityManager ? { capacity_manager: capacityManager } : {}),
        // A production file keeps its database Multi-AZ (the schema refuses it otherwise).
        ...(withProduction ? { platform: withProduction } : {}),
        ...(production ? { production } : {}),
      };
    }),
);

function isJsonRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
