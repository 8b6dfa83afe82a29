/**
 * The environment file schema: one strict zod schema, snake_case keys like Terraform variables, defaults here and
 * nowhere else, cross-field rules as refinements that name the field. Parsed once, at the edge (load.ts).
 */
import { z } from "zod";
import { cidrsOverlap, MAX_AVAILABILITY_ZONES, MIN_VPC_PREFIX, parseCidr } from "../lib/cidr";
import { SUPPORTED_EKS_VERSIONS } from "../lib/eks-versions";
import { CAPACITY_BLOCK_FAMILIES, CAPACITY_BLOCK_INSTANCE_TYPES, DEPRECATED_AMI_TYPES, GPU_AMI_TYPES, type GpuAmiType } from "../lib/instance-types";
import { LOG_RETENTION_DAYS } from "../lib/log-retention";
import { ownValue } from "../lib/lookup";
import { MAX_CAPACITY_BLOCK_NAME_LENGTH, NAME_LIMITS } from "../lib/naming";
import {
  awsTagsSchema,
  MAX_PUBLIC_ACCESS_CIDRS,
  MAX_TAINTS,
  nodeLabelsSchema,
  publicAccessCidrProblem,
  taintKeySchema,
  taintValueSchema,
  vpcCidrProblem,
} from "./aws-limits";
import { type CapacityManagerConfig, capacityManagerSchema, checkCapacityManager, extendPolicyFields, replacePolicySchema } from "./capacity-manager-schema";
import { karpenterSchema, nodePoolsSchema } from "./karpenter-schema";
import { checkPlatform, platformSchema } from "./platform-schema";
import { refuseDuplicatePrincipals } from "./unique-principals";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESERVATION_ID = /^cr-[0-9a-f]{17}$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** Retention periods CloudWatch Logs accepts (defined in lib so section schemas can share it without an import cycle). */
export { LOG_RETENTION_DAYS };

const cidr = z.string().refine((value) => parseCidr(value) !== undefined, {
  message: 'expected an IPv4 network in CIDR notation, e.g. "10.0.0.0/16" (host bits zero)',
});

const availabilityZone = z.string().regex(AVAILABILITY_ZONE, { message: 'expected an availability zone name such as "us-east-1a"' });

// EKS access entries take IAM roles and users only: not the root user, not an assumed-role session ARN.
const iamPrincipalArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/, {
  message: "expected an IAM role or user ARN (arn:aws:iam::<account>:role/<name>); access entries refuse root and assumed-role session ARNs",
});

const taintSchema = z.strictObject({
  key: taintKeySchema,
  value: taintValueSchema.default(""),
  effect: z.enum(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]),
});

const amiType = z
  .string()
  .superRefine((value, ctx) => {
    const replacement = ownValue(DEPRECATED_AMI_TYPES, value);
    if (replacement) {
      ctx.addIssue({
        code: "custom",
        message: `ami_type "${value}" is deprecated: EKS publishes no Amazon Linux 2 AMIs since AL2 reached end of support (2025-11-26); use "${replacement}"`,
      });
    } else if (!Object.hasOwn(GPU_AMI_TYPES, value)) {
      ctx.addIssue({ code: "custom", message: `expected a GPU AMI type, one of ${Object.keys(GPU_AMI_TYPES).join(", ")}` });
    }
    // Types the parsed value as a GpuAmiType; runs only when the check above passed, so it never adds an issue of its own.
  })
  .refine((value): value is GpuAmiType => Object.hasOwn(GPU_AMI_TYPES, value), { when: (payload) => payload.issues.length === 0 });

/**
 * Who launches a block's instances. One owner per reservation: a managed node group and Karpenter both launching
 * into the same fixed number of instances starve each other.
 */
export const CAPACITY_BLOCK_CONSUMERS = ["node_group", "karpenter"] as const;
export type CapacityBlockConsumer = (typeof CAPACITY_BLOCK_CONSUMERS)[number];

/**
 * Auto Mode's built-in node pools, as aws_eks_cluster's compute_config.node_pools accepts them
 * (hashicorp/terraform-provider-aws internal/service/eks/cluster.go, nodePoolType_Values).
 */
export const AUTO_MODE_BUILT_IN_NODE_POOLS = ["general-purpose", "system"] as const;
export type AutoModeBuiltInNodePool = (typeof AUTO_MODE_BUILT_IN_NODE_POOLS)[number];

/** `capacity_blocks[].extend`: each key unset takes `capacity_manager.extend`'s value. */
const blockExtendSchema = z.strictObject({
  before_hours: extendPolicyFields.before_hours.optional(),
  by_hours: extendPolicyFields.by_hours.optional(),
  require_approval: extendPolicyFields.require_approval.optional(),
  max_upfront_fee_usd: extendPolicyFields.max_upfront_fee_usd.optional(),
  /** Replacement when no extension is bought in time. @default off */
  replace: replacePolicySchema.optional(),
});

export const capacityBlockSchema = z
  .strictObject({
    /** Node group and label name; DNS-safe. */
    name: z
      .string()
      .max(MAX_CAPACITY_BLOCK_NAME_LENGTH, {
        message: `at most ${MAX_CAPACITY_BLOCK_NAME_LENGTH} characters: the node group's name_prefix is the name and "-", which aws_eks_node_group allows ${NAME_LIMITS["aws_eks_node_group.node_group_name_prefix"].max} characters`,
      })
      .regex(DNS_LABEL, { message: `expected a DNS-safe name: lower-case letters, digits and '-', at most ${MAX_CAPACITY_BLOCK_NAME_LENGTH} characters` }),
    reservation_id: z.string().regex(RESERVATION_ID, { message: 'expected a capacity reservation id: "cr-" followed by 17 hex digits' }),
    instance_type: z.string().refine((value) => Object.hasOwn(CAPACITY_BLOCK_INSTANCE_TYPES, value), {
      message: `expected an instance type sold as a capacity block (families ${CAPACITY_BLOCK_FAMILIES.join(", ")}; e.g. p5.48xlarge)`,
    }),
    instance_count: z.number().int().min(1).max(64),
    availability_zone: availabilityZone,
    ami_type: amiType.default("AL2023_x86_64_NVIDIA"),
    /** Kubernetes node labels: keys and values in label syntax, each at most 63 characters (EKS). */
    labels: nodeLabelsSchema.default({}),
    /** At most 50 (EKS); key and value in Kubernetes label syntax, at most 63 characters each. */
    taints: z
      .array(taintSchema)
      .max(MAX_TAINTS, { message: `EKS takes at most ${MAX_TAINTS} taints per node group` })
      .default([]),
    root_volume_gib: z.number().int().min(50).max(16_384).default(500),
    /** EFA interfaces on every network card and an all-traffic self rule for multi-node training (no placement group: EC2 co-locates a block). */
    efa: z.boolean().default(false),
    /**
     * `node_group`: a managed node group on the block, sized to instance_count, that fills when the block turns
     * active. `karpenter`: no node group; the `gpu-capacity-block` EC2NodeClass selects the reservation by id (on an
     * EKS Auto Mode cluster, the Auto Mode NodeClass of that name does).
     */
    consumer: z
      .enum(CAPACITY_BLOCK_CONSUMERS, { message: `expected one of ${CAPACITY_BLOCK_CONSUMERS.map((c) => `"${c}"`).join(", ")}` })
      .default("node_group"),
    /**
     * Nodes the block's node group runs while the block is active: its size at creation, and the size the capacity
     * manager holds it at. 0 parks the group (e.g. to upgrade it during a block, as EKS requires). @default instance_count
     */
    desired_size: z.number().int().min(0).max(64).optional(),
    /** The capacity manager's extension policy for this block. @default capacity_manager.extend */
    extend: blockExtendSchema.optional(),
  })
  .superRefine((block, ctx) => {
    if (block.desired_size !== undefined && block.desired_size > block.instance_count) {
      ctx.addIssue({
        code: "custom",
        path: ["desired_size"],
        message: `must be at most instance_count (${block.instance_count}): the block holds no more instances, got ${block.desired_size}`,
      });
    }
    if (block.desired_size !== undefined && block.consumer === "karpenter") {
      ctx.addIssue({ code: "custom", path: ["desired_size"], message: 'sizes the block\'s node group, which a consumer = "karpenter" block does not have' });
    }
    const instance = ownValue(CAPACITY_BLOCK_INSTANCE_TYPES, block.instance_type);
    const ami = ownValue<(typeof GPU_AMI_TYPES)[GpuAmiType]>(GPU_AMI_TYPES, block.ami_type);
    if (instance?.efaUnsupportedReason && block.efa) {
      ctx.addIssue({ code: "custom", path: ["efa"], message: `efa = true is not supported for "${block.instance_type}": ${instance.efaUnsupportedReason}` });
    }
    if (!instance || !ami) return;
    if (instance.architecture !== ami.architecture || instance.acceleratorKind !== ami.acceleratorKind) {
      ctx.addIssue({
        code: "custom",
        path: ["ami_type"],
        message: `ami_type "${block.ami_type}" (${ami.architecture}, ${ami.acceleratorKind}) does not fit instance_type "${block.instance_type}" (${instance.architecture}, ${instance.acceleratorKind})`,
      });
    }
  });

const apiAccessSchema = z.strictObject({
  /** Security groups (in the cluster's VPC or a peered one) whose members may call the API server. */
  security_group_ids: z
    .array(z.string().regex(/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/, { message: 'expected a security group id such as "sg-0123456789abcdef0"' }))
    .default([]),
  /** Networks routed to the VPC (VPN, peering, Transit Gateway) that may call the API server. */
  cidrs: z.array(cidr).default([]),
});

const clusterSchema = z.strictObject({
  version: z.enum(SUPPORTED_EKS_VERSIONS as [string, ...string[]], {
    message: `expected a Kubernetes version EKS supports: ${SUPPORTED_EKS_VERSIONS.join(", ")}`,
  }),
  endpoint_public_access: z.boolean().default(false),
  /** Public addresses allowed to reach a public endpoint; at most 40 (EKS quota), no private or reserved ranges. */
  public_access_cidrs: z
    .array(
      cidr.superRefine((value, ctx) => {
        const problem = publicAccessCidrProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .max(MAX_PUBLIC_ACCESS_CIDRS, { message: `EKS takes at most ${MAX_PUBLIC_ACCESS_CIDRS} public access CIDR blocks per cluster` })
    .default([]),
  /** Must be set to allow a public endpoint open to 0.0.0.0/0; off because it exposes the API server to the internet. */
  allow_public_endpoint_from_anywhere: z.boolean().default(false),
  admin_principal_arns: z
    .array(iamPrincipalArn)
    .superRefine((arns, ctx) => {
      arns.forEach((arn, index) => {
        const first = arns.indexOf(arn);
        if (first !== index)
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `"${arn}" is already listed at admin_principal_arns[${first}]; EKS keeps one access entry per principal`,
          });
      });
    })
    .default([]),
  /**
   * Give the identity running Terraform its own cluster-admin access entry (skipped at plan time when it is one of
   * admin_principal_arns). Off: the Kubernetes-side stacks need the deployer's role in admin_principal_arns.
   */
  grant_deployer_admin: z.boolean().default(false),
  /** Who may reach the API server's private endpoint (TCP 443) besides the nodes, e.g. CI runners in the VPC or a VPN. */
  api_access: apiAccessSchema.prefault({}),
  /** Attach AmazonSSMManagedInstanceCore to the node roles (system and Karpenter nodes): Session Manager shells on nodes. */
  ssm_access: z.boolean().default(false),
  log_retention_days: z
    .number()
    .int()
    .refine((value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value), {
      message: `expected a CloudWatch Logs retention period: ${LOG_RETENTION_DAYS.join(", ")}`,
    })
    .default(90),
  /**
   * EKS Auto Mode: EKS runs node provisioning, block storage and load balancing (compute_config, storage_config and
   * elastic_load_balancing on), and blockfleet's node pools become Auto Mode NodeClasses and NodePools instead of
   * Karpenter's. Replaces the karpenter section and the load balancer controller.
   */
  auto_mode: z.boolean().default(false),
  /**
   * Auto Mode's built-in node pools (compute_config.node_pools). With "system", that pool runs the cluster's add-ons
   * and blockfleet creates no system node group. Only with auto_mode = true. @default ["system"]
   */
  auto_mode_node_pools: z
    .array(z.enum(AUTO_MODE_BUILT_IN_NODE_POOLS, { message: `expected one of ${AUTO_MODE_BUILT_IN_NODE_POOLS.map((pool) => `"${pool}"`).join(", ")}` }))
    .refine((pools) => new Set(pools).size === pools.length, { message: "list each built-in node pool once" })
    .optional(),
});

const systemNodeGroupSchema = z
  .strictObject({
    instance_types: z
      .array(z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, { message: 'expected an instance type such as "m7i.large"' }))
      .min(1)
      .default(["m7i.large"]),
    min_size: z.number().int().min(1).default(2),
    max_size: z.number().int().min(1).default(4),
    desired_size: z.number().int().min(1).default(2),
  })
  .superRefine((group, ctx) => {
    if (group.min_size > group.desired_size || group.desired_size > group.max_size) {
      ctx.addIssue({
        code: "custom",
        path: ["desired_size"],
        message: `sizes must satisfy min_size <= desired_size <= max_size, got min_size=${group.min_size}, desired_size=${group.desired_size}, max_size=${group.max_size}`,
      });
    }
  });

export const environmentShape = {
  region: z.string().regex(REGION, { message: 'expected an AWS region name such as "us-east-1"' }),
  /** Becomes the provider's allowed_account_ids, so a plan against the wrong account fails before it changes anything. */
  account_id: z
    .string()
    .regex(/^\d{12}$/, { message: "expected a 12-digit AWS account id" })
    .optional(),
  /** Tags on every resource: at most 41 (AWS allows 50, blockfleet adds up to 9), keys 1-128 characters not starting with "aws:", values at most 256. */
  tags: awsTagsSchema.default({}),
  /**
   * S3 bucket holding this environment's Terraform state (bucket names are global). Without it, account_id is required.
   * @default blockfleet-tfstate-<env>-<account_id>-<region>
   */
  state_bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "expected an S3 bucket name" })
    .optional(),
  /**
   * IAM roles or users that read and write this environment's Terraform state (CI deploy and plan roles): the only
   * principals the state key lets decrypt, besides the identity that deploys the bootstrap stack. They must exist
   * before the bootstrap stack is applied (KMS checks the principals of a key policy).
   */
  state_access_principal_arns: z
    .array(iamPrincipalArn)
    .superRefine(refuseDuplicatePrincipals("state_access_principal_arns", "list each state principal once"))
    .default([]),
  vpc_cidr: cidr,
  availability_zones: z.array(availabilityZone).min(2, { message: "EKS needs subnets in at least 2 availability zones" }).max(MAX_AVAILABILITY_ZONES),
  single_nat_gateway: z.boolean().default(true),
  cluster: clusterSchema,
  /** Managed node group for the cluster's add-ons; absent with Auto Mode while its built-in "system" pool serves. */
  system_node_group: systemNodeGroupSchema.optional(),
  capacity_blocks: z.array(capacityBlockSchema).default([]),
  /** Karpenter controller (`<env>-karpenter`, `<env>-karpenter-pools` stacks); on by default. */
  karpenter: karpenterSchema.optional(),
  /** Create the EC2 Spot service-linked role; off because most accounts have it and creating it twice fails. */
  create_spot_service_linked_role: z.boolean().default(false),
  /**
   * Marks the environment as production: every resource carries the tag `production = "true"`, the policy gate holds
   * it to production rules (RDS Multi-AZ, BF-RDS-005) and the file must keep production settings (database.multi_az).
   */
  production: z.boolean().default(false),
  /** Karpenter node pools: default, gpu_spot, gpu_capacity_block, gpu_on_demand. */
  node_pools: nodePoolsSchema.prefault({}),
  /**
   * The capacity manager service (`<env>-capacity-manager`). Deployed with its defaults wherever capacity_blocks are
   * declared, also when this section is absent; `enabled = false` turns it off. Absent and no blocks: none.
   */
  capacity_manager: capacityManagerSchema.optional(),
  /** Optional platform services (`<env>-platform`, `<env>-platform-k8s`, `<env>-platform-manifests`); absent means none. */
  platform: platformSchema.optional(),
};

/** A `karpenter` block needs the controller and the capacity-block pool, and an accelerator that pool launches. */
function checkKarpenterConsumer(env: ParsedEnvironment, block: ParsedEnvironment["capacity_blocks"][number], index: number, ctx: z.RefinementCtx): void {
  const path = ["capacity_blocks", index, "consumer"];
  const where = `capacity_blocks[${index}] ("${block.name}") has consumer = "karpenter"`;
  if (!env.karpenter.enabled && !env.cluster.auto_mode) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `${where}, but karpenter.enabled = false: nothing would launch into the block; use consumer = "node_group" or enable Karpenter`,
    });
  } else if (!env.node_pools.gpu_capacity_block.enabled) {
    ctx.addIssue({
      code: "custom",
      path,
      message: `${where}, but node_pools.gpu_capacity_block.enabled = false: no node pool would launch into the block; use consumer = "node_group" or enable that pool`,
    });
  }
  if (block.efa) {
    ctx.addIssue({
      code: "custom",
      path: ["capacity_blocks", index, "efa"],
      message: `${where}; efa = true configures the block's node group launch template, which a Karpenter block does not have: use consumer = "node_group" for EFA`,
    });
  }
  if (CAPACITY_BLOCK_INSTANCE_TYPES[block.instance_type]?.acceleratorKind === "neuron") {
    ctx.addIssue({
      code: "custom",
      path,
      message: `${where}, but "${block.instance_type}" is a Neuron type and the gpu-capacity-block pool only launches NVIDIA GPUs; use consumer = "node_group"`,
    });
  }
}

/**
 * With Auto Mode, EKS provisions nodes and load balancers itself: every setting that configured blockfleet's own
 * Karpenter, load balancer controller or system nodes would be silently ignored, so each one is an error naming it.
 */
function checkAutoMode(file: FileEnvironment, ctx: z.RefinementCtx): void {
  const cluster = file.cluster;
  if (!cluster.auto_mode) {
    if (cluster.auto_mode_node_pools !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["cluster", "auto_mode_node_pools"],
        message: "configures EKS Auto Mode's built-in node pools; set cluster.auto_mode = true, or drop it",
      });
    }
    if (file.platform?.auto_mode_ingress !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["platform", "auto_mode_ingress"],
        message: "configures EKS Auto Mode's ALB ingress class; set cluster.auto_mode = true, or use platform.load_balancer_controller",
      });
    }
    return;
  }
  const why = "with cluster.auto_mode = true";
  if (file.karpenter !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["karpenter"],
      message: `${why} EKS runs Karpenter itself and blockfleet installs none; remove the karpenter section (node_pools still shape the Auto Mode node pools)`,
    });
  }
  if (file.platform?.load_balancer_controller !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["platform", "load_balancer_controller"],
      message: `${why} EKS runs the load balancer controller; remove platform.load_balancer_controller and set platform.auto_mode_ingress = { certificate_arn, scheme } for the alb ingress class`,
    });
  }
  if (file.create_spot_service_linked_role) {
    ctx.addIssue({
      code: "custom",
      path: ["create_spot_service_linked_role"],
      message: `${why} there is no Karpenter stack to create the role in; remove it (create AWSServiceRoleForEC2Spot once per account by hand)`,
    });
  }
  if (cluster.ssm_access) {
    // awsdocs/amazon-eks-user-guide latest/ug/automode/automode.adoc: Auto Mode disallows SSH and SSM access to nodes.
    ctx.addIssue({
      code: "custom",
      path: ["cluster", "ssm_access"],
      message: `${why} nodes take no SSM sessions (EKS Auto Mode disallows SSM and SSH on its nodes); remove cluster.ssm_access`,
    });
  }
  if (file.platform?.gpu?.gpu_operator) {
    // awsdocs/amazon-eks-user-guide latest/ug/automode/auto-accelerated.adoc: Auto Mode's NVIDIA nodes carry the NVIDIA
    // driver and device plugin; the operator's own plugin would advertise the same GPUs a second time.
    ctx.addIssue({
      code: "custom",
      path: ["platform", "gpu", "gpu_operator"],
      message: `${why} Auto Mode's NVIDIA nodes bring the driver and the NVIDIA device plugin; set gpu_operator = false (nvidia_device_plugin covers AL2023 node-group blocks, dcgm_exporter the metrics)`,
    });
  }
  const builtIn = cluster.auto_mode_node_pools ?? DEFAULT_AUTO_MODE_NODE_POOLS;
  if (builtIn.includes("system") && file.system_node_group !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["system_node_group"],
      message: `${why} Auto Mode's built-in "system" pool runs the add-ons and blockfleet creates no system node group; remove system_node_group, or drop "system" from cluster.auto_mode_node_pools`,
    });
  }
}

/** Auto Mode's built-in pools when cluster.auto_mode_node_pools is absent. */
export const DEFAULT_AUTO_MODE_NODE_POOLS: readonly AutoModeBuiltInNodePool[] = ["system"];

/** Sections whose defaults depend on cluster.auto_mode, filled in: the parsed file as the rest of the code sees it. */
function withSectionDefaults(file: FileEnvironment) {
  const autoMode = file.cluster.auto_mode;
  const karpenter = file.karpenter ?? karpenterSchema.parse({});
  return {
    ...file,
    cluster: { ...file.cluster, auto_mode_node_pools: autoMode ? [...(file.cluster.auto_mode_node_pools ?? DEFAULT_AUTO_MODE_NODE_POOLS)] : [] },
    // Auto Mode replaces blockfleet's Karpenter: no Karpenter stacks.
    karpenter: autoMode ? { ...karpenter, enabled: false } : karpenter,
    system_node_group: file.system_node_group ?? systemNodeGroupSchema.parse({}),
  };
}

/** Cross-field rules that span sections of the file. Each names the field it blames. */
function checkEnvironment(file: FileEnvironment, ctx: z.RefinementCtx): void {
  checkAutoMode(file, ctx);
  const env = withSectionDefaults(file);
  // A wrong region is one mistake, not one per zone: when no zone is in it, blame the region alone, and check what
  // depends on the region (ACM certificate, WAF ACL) against the zones' region so it doesn't echo the same mistake.
  const zoneRegions = [...new Set(env.availability_zones.map((zone) => zone.slice(0, -1)))];
  const regionIsWrong = !env.availability_zones.some((zone) => zone.startsWith(env.region));
  const regionOfZones = regionIsWrong && zoneRegions.length === 1 ? zoneRegions[0]! : env.region;
  checkCapacityManager({ ...env, region: regionOfZones }, ctx);
  checkPlatform({ ...env, region: regionOfZones }, ctx);
  if (env.production && env.platform?.database && !env.platform.database.multi_az) {
    ctx.addIssue({
      code: "custom",
      path: ["platform", "database", "multi_az"],
      message: "a production environment keeps its database in two availability zones; set multi_az = true or production = false",
    });
  }
  // S3 bucket names are global: a name derived from the environment alone is likely someone else's already.
  if (env.state_bucket === undefined && env.account_id === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["account_id"],
      message:
        'required to give the state bucket a globally unique name (blockfleet-tfstate-<env>-<account_id>-<region>): add account_id = "<12-digit AWS account id>", or name the bucket yourself with state_bucket = "<globally unique bucket name>"',
    });
  }
  // The chart spreads controller replicas over distinct nodes; more replicas than system nodes leave one Pending
  // and fail the atomic Helm release on a fresh deploy.
  if (env.karpenter.enabled && !env.cluster.auto_mode && env.karpenter.replicas > env.system_node_group.min_size) {
    ctx.addIssue({
      code: "custom",
      path: ["karpenter", "replicas"],
      message: `${env.karpenter.replicas} controller replicas need as many system nodes, but system_node_group.min_size is ${env.system_node_group.min_size}`,
    });
  }
  const vpc = parseCidr(env.vpc_cidr);
  if (vpc && vpc.prefix > MIN_VPC_PREFIX) {
    ctx.addIssue({
      code: "custom",
      path: ["vpc_cidr"],
      message: `too small for the subnet plan (a private /20, a public /24 and an intra /24 per AZ); use a /${MIN_VPC_PREFIX} or larger`,
    });
  } else {
    const problem = vpcCidrProblem(env.vpc_cidr);
    if (problem) ctx.addIssue({ code: "custom", path: ["vpc_cidr"], message: problem });
  }
  if (regionIsWrong && REGION.test(env.region)) {
    ctx.addIssue({
      code: "custom",
      path: ["region"],
      message: `no availability zone is in "${env.region}": availability_zones are in ${zoneRegions.map((region) => `"${region}"`).join(", ")}; fix the region or the zones`,
    });
  }
  env.availability_zones.forEach((zone, index) => {
    if (!regionIsWrong && !zone.startsWith(env.region)) {
      ctx.addIssue({ code: "custom", path: ["availability_zones", index], message: `"${zone}" is not in region "${env.region}"` });
    }
    if (env.availability_zones.indexOf(zone) !== index) {
      ctx.addIssue({ code: "custom", path: ["availability_zones", index], message: `"${zone}" is listed twice` });
    }
  });
  if (env.cluster.endpoint_public_access) {
    if (env.cluster.public_access_cidrs.length === 0) {
      ctx.addIssue({ code: "custom", path: ["cluster", "public_access_cidrs"], message: "a public endpoint needs the CIDRs allowed to reach it" });
    }
    const openIndex = env.cluster.public_access_cidrs.findIndex((block) => parseCidr(block)?.prefix === 0);
    if (openIndex >= 0 && !env.cluster.allow_public_endpoint_from_anywhere) {
      ctx.addIssue({
        code: "custom",
        path: ["cluster", "public_access_cidrs", openIndex],
        message: `"${env.cluster.public_access_cidrs[openIndex]}" opens the API server to the internet; restrict it, or set cluster.allow_public_endpoint_from_anywhere = true`,
      });
    }
  }
  const parsedPublic = env.cluster.public_access_cidrs.map(parseCidr);
  parsedPublic.forEach((block, index) => {
    const overlapping = parsedPublic.findIndex((other, otherIndex) => otherIndex < index && block && other && cidrsOverlap(block, other));
    if (overlapping >= 0) {
      ctx.addIssue({ code: "custom", path: ["cluster", "public_access_cidrs", index], message: `overlaps "${env.cluster.public_access_cidrs[overlapping]}"` });
    }
  });
  env.capacity_blocks.forEach((block, index) => {
    if (!env.availability_zones.includes(block.availability_zone)) {
      ctx.addIssue({
        code: "custom",
        path: ["capacity_blocks", index, "availability_zone"],
        message: `"${block.availability_zone}" is not one of availability_zones [${env.availability_zones.join(", ")}]; a capacity block's nodes can only launch in its own AZ`,
      });
    }
    const firstWithName = env.capacity_blocks.findIndex((other) => other.name === block.name);
    if (firstWithName !== index) {
      ctx.addIssue({
        code: "custom",
        path: ["capacity_blocks", index, "name"],
        message: `"${block.name}" is already used by capacity_blocks[${firstWithName}]`,
      });
    }
    const firstWithReservation = env.capacity_blocks.findIndex((other) => other.reservation_id === block.reservation_id);
    if (firstWithReservation !== index) {
      ctx.addIssue({
        code: "custom",
        path: ["capacity_blocks", index, "reservation_id"],
        message: `"${block.reservation_id}" is already attached by capacity_blocks[${firstWithReservation}] ("${env.capacity_blocks[firstWithReservation]!.name}"); a reservation has one consumer`,
      });
    }
    if (block.consumer === "karpenter") checkKarpenterConsumer(env, block, index, ctx);
    checkReplacement(env, block, index, ctx);
  });
}

/** A block's replacement zones are the environment's, and buying replacements needs new purchases allowed. */
function checkReplacement(env: ParsedEnvironment, block: ParsedEnvironment["capacity_blocks"][number], index: number, ctx: z.RefinementCtx): void {
  const replace = block.extend?.replace;
  if (!replace) return;
  const path = ["capacity_blocks", index, "extend", "replace"];
  (replace.availability_zones ?? []).forEach((zone, zoneIndex) => {
    if (!env.availability_zones.includes(zone)) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "availability_zones", zoneIndex],
        message: `"${zone}" is not one of availability_zones [${env.availability_zones.join(", ")}]; a replacement's nodes can only launch in the environment's zones`,
      });
    }
  });
  if (replace.enabled && env.capacity_manager?.allow_new_purchases !== true) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "enabled"],
      message:
        "a replacement is a new capacity block: set capacity_manager.allow_new_purchases = true (with extensions_enabled = true) to let the manager buy it",
    });
  }
  // A replacement is used through the capacity-block pool's tag selection: without that pool it would be paid and idle.
  const poolRuns = (env.karpenter.enabled || env.cluster.auto_mode) && env.node_pools.gpu_capacity_block.enabled;
  if (replace.enabled && !poolRuns) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "enabled"],
      message:
        "a replacement runs on the gpu-capacity-block node pool, which selects it by its tags: enable karpenter (or cluster.auto_mode) and node_pools.gpu_capacity_block",
    });
  }
}

/** The file as parsed, optional sections still absent. */
type FileEnvironment = z.output<z.ZodObject<typeof environmentShape>>;
type ParsedEnvironment = ReturnType<typeof withSectionDefaults>;

/** A block's extension policy with `capacity_manager.extend`'s defaults filled in. */
export type ExtendPolicy = CapacityManagerConfig["extend"] & { readonly replace?: z.output<typeof replacePolicySchema> };

/**
 * Defaults that depend on other sections, resolved once here: the capacity manager runs wherever blocks are
 * declared unless `capacity_manager.enabled = false` (then it is absent), and each block's `extend` is complete.
 */
function resolveEnvironment(file: FileEnvironment) {
  const env = withSectionDefaults(file);
  const declared = env.capacity_manager ?? (env.capacity_blocks.length > 0 ? capacityManagerSchema.parse({}) : undefined);
  const capacityManager = declared?.enabled === false ? undefined : declared;
  const defaults = (declared ?? capacityManagerSchema.parse({})).extend;
  return {
    ...env,
    capacity_manager: capacityManager,
    capacity_blocks: env.capacity_blocks.map((block) => {
      const own = block.extend ?? {};
      const cap = own.max_upfront_fee_usd ?? defaults.max_upfront_fee_usd;
      const extend: ExtendPolicy = {
        before_hours: own.before_hours ?? defaults.before_hours,
        by_hours: own.by_hours ?? defaults.by_hours,
        require_approval: own.require_approval ?? defaults.require_approval,
        ...(cap !== undefined ? { max_upfront_fee_usd: cap } : {}),
        ...(own.replace !== undefined ? { replace: own.replace } : {}),
      };
      return { ...block, extend };
    }),
  };
}

export const environmentSchema = z.strictObject(environmentShape).superRefine(checkEnvironment).transform(resolveEnvironment);

export type EnvironmentConfig = z.output<typeof environmentSchema>;
/** One `capacity_blocks` entry as parsed on its own (`extend` as written). */
export type CapacityBlockConfig = z.output<typeof capacityBlockSchema>;
/** One `capacity_blocks` entry of a parsed environment: `extend` complete, with the manager's defaults. */
export type ResolvedCapacityBlockConfig = EnvironmentConfig["capacity_blocks"][number];
export type ClusterConfig = EnvironmentConfig["cluster"];
