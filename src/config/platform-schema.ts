/**
 * The `platform = { … }` section of an environment file: optional services a GPU cluster usually serves with — a model
 * registry bucket, PostgreSQL, Redis, a secrets layout synced by External Secrets, the AWS Load Balancer Controller,
 * GPU device plugins, log shipping and Reloader. Absent means none of them. Inside it each part is on when present
 * (`reloader = {}` turns Reloader on with its defaults) and off when absent.
 */
import { z } from "zod";
import { isLogRetentionDays, LOG_RETENTION_MESSAGE } from "../lib/log-retention";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;

/** Namespace the platform's workloads run in unless the file names another. */
export const DEFAULT_PLATFORM_NAMESPACE = "ml-platform";

/** Label a Bottlerocket node needs so the GPU Operator deploys none of its operands (Bottlerocket ships its own). */
export const GPU_OPERATOR_OPT_OUT_LABEL = { key: "nvidia.com/gpu.deploy.operands", value: "false" } as const;

const dnsLabel = z.string().max(63).regex(DNS_LABEL, { message: "expected a DNS label: lower-case letters, digits and '-', at most 63 characters" });

const serviceAccountSchema = z.strictObject({
  namespace: dnsLabel,
  name: dnsLabel,
});

const modelRegistrySchema = z
  .strictObject({
    /** Service accounts (EKS Pod Identity) whose pods read and write the bucket. */
    service_accounts: z
      .array(serviceAccountSchema)
      .min(1)
      .default([{ namespace: DEFAULT_PLATFORM_NAMESPACE, name: "ml-workloads" }]),
    /** Days a replaced or deleted model version is kept before it expires. */
    noncurrent_version_expiration_days: z.number().int().min(1).max(3650).default(90),
  })
  .superRefine((registry, ctx) => {
    registry.service_accounts.forEach((account, index) => {
      const first = registry.service_accounts.findIndex((other) => other.namespace === account.namespace && other.name === account.name);
      if (first !== index) {
        ctx.addIssue({
          code: "custom",
          path: ["service_accounts", index],
          message: `"${account.namespace}/${account.name}" is already listed at service_accounts[${first}]`,
        });
      }
    });
  });

const databaseSchema = z
  .strictObject({
    /** PostgreSQL major (or major.minor) version; minor upgrades are applied automatically. */
    engine_version: z
      .string()
      .regex(/^(1[7-9]|[2-9]\d)(\.\d+)?$/, { message: 'expected PostgreSQL 17 or newer, as a major ("17") or major.minor ("17.6") version' })
      .default("17"),
    instance_class: z
      .string()
      .regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { message: 'expected an RDS instance class such as "db.m8g.2xlarge"' })
      .default("db.m8g.large"),
    /** A standby in a second AZ; failover takes about a minute instead of a restore. */
    multi_az: z.boolean().default(true),
    backup_retention_days: z
      .number()
      .int()
      .min(1, { message: "backups can't be turned off: expected 1-35 days" })
      .max(35, { message: "RDS keeps automated backups at most 35 days" })
      .default(30),
    allocated_storage_gib: z.number().int().min(20).max(65_536).default(100),
    /** Storage autoscaling ceiling. */
    max_allocated_storage_gib: z.number().int().min(20).max(65_536).default(1_000),
    database_name: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "expected a PostgreSQL database name: a lower-case letter, then letters, digits or '_'" })
      .default("platform"),
  })
  .superRefine((database, ctx) => {
    if (database.max_allocated_storage_gib < database.allocated_storage_gib) {
      ctx.addIssue({
        code: "custom",
        path: ["max_allocated_storage_gib"],
        message: `must be at least allocated_storage_gib, got max_allocated_storage_gib=${database.max_allocated_storage_gib}, allocated_storage_gib=${database.allocated_storage_gib}`,
      });
    }
  });

const cacheSchema = z
  .strictObject({
    node_type: z
      .string()
      .regex(/^cache\.[a-z0-9-]+\.[a-z0-9]+$/, { message: 'expected an ElastiCache node type such as "cache.r7g.large"' })
      .default("cache.r7g.large"),
    /** A replica is promoted when the primary fails; needs at least 2 nodes. */
    automatic_failover: z.boolean().default(true),
    /** Primary plus replicas. */
    num_cache_clusters: z.number().int().min(1).max(6).default(2),
  })
  .superRefine((cache, ctx) => {
    if (cache.automatic_failover && cache.num_cache_clusters < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["num_cache_clusters"],
        message: `automatic_failover needs a replica to promote: num_cache_clusters must be at least 2, got ${cache.num_cache_clusters}`,
      });
    }
  });

const oidcProviderSchema = z.strictObject({
  /** Shown on the login page. */
  name: z.string().min(1),
  /** Stable identifier of the provider. */
  key: dnsLabel,
  issuer_url: z.url({ protocol: /^https$/, message: "expected the provider's https issuer URL" }),
  client_id: z.string().min(1),
  /** Never here: the environment file is committed. Set it in Secrets Manager after the first deploy. */
  client_secret: z
    .never({ error: "client secrets never go in the environment file; set them in the <env>/oidc_secret secret with `aws secretsmanager put-secret-value`" })
    .optional(),
  scopes: z.array(z.string().min(1)).min(1).default(["openid", "email", "profile"]),
  pkce: z.boolean().default(true),
  /** Lets anyone the provider authenticates create an account; off so access is granted deliberately. */
  allow_sign_up: z.boolean().default(false),
});

const secretsSchema = z
  .strictObject({
    /** Seeds `<env>/oidc_secret`; client secrets are added in Secrets Manager and never overwritten by Terraform. */
    oidc_providers: z.array(oidcProviderSchema).default([]),
  })
  .superRefine((secrets, ctx) => {
    secrets.oidc_providers.forEach((provider, index) => {
      const first = secrets.oidc_providers.findIndex((other) => other.key === provider.key);
      if (first !== index)
        ctx.addIssue({ code: "custom", path: ["oidc_providers", index, "key"], message: `"${provider.key}" is already used by oidc_providers[${first}]` });
    });
  });

const externalSecretsSchema = z.strictObject({
  /** Namespace the synced Kubernetes secrets are written to (created if missing). */
  namespace: dnsLabel.default(DEFAULT_PLATFORM_NAMESPACE),
});

const loadBalancerControllerSchema = z.strictObject({
  /** ACM certificate the ALB ingress class terminates TLS with; must be in the environment's region. */
  certificate_arn: z.string().regex(ACM_CERTIFICATE_ARN, { message: "expected an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)" }),
  /** `internal` keeps load balancers off the internet unless the file says otherwise. */
  scheme: z.enum(["internal", "internet-facing"], { message: 'expected "internal" or "internet-facing"' }).default("internal"),
});

const gpuSchema = z
  .strictObject({
    /** NVIDIA device plugin on AL2023 GPU nodes (Bottlerocket's NVIDIA variants ship their own). */
    nvidia_device_plugin: z.boolean().default(true),
    /** NVIDIA GPU Operator with the driver and toolkit disabled (the EKS GPU AMIs ship them); replaces the device plugin. */
    gpu_operator: z.boolean().default(false),
    /** EFA device plugin; defaults to on when any capacity block has `efa = true`. */
    efa_device_plugin: z.boolean().optional(),
    /** DCGM exporter for GPU metrics. */
    dcgm_exporter: z.boolean().default(false),
    /**
     * Have the DCGM exporter render a Prometheus Operator ServiceMonitor. Only when the cluster already has the
     * monitoring.coreos.com CRDs (nothing here installs them): without them the release fails and rolls back.
     */
    dcgm_service_monitor: z.boolean().default(false),
  })
  .superRefine((gpu, ctx) => {
    if (gpu.dcgm_service_monitor && !gpu.dcgm_exporter) {
      ctx.addIssue({
        code: "custom",
        path: ["dcgm_service_monitor"],
        message: "a ServiceMonitor needs the exporter: set dcgm_exporter = true, or drop dcgm_service_monitor",
      });
    }
    if (gpu.gpu_operator && gpu.nvidia_device_plugin) {
      ctx.addIssue({
        code: "custom",
        path: ["nvidia_device_plugin"],
        message:
          "the GPU Operator runs its own device plugin; set nvidia_device_plugin = false when gpu_operator = true, or two plugins would advertise the same GPUs",
      });
    }
  });

const logsSchema = z.strictObject({
  /** Retention of the container log groups the CloudWatch Observability add-on writes. */
  retention_days: z.number().int().refine(isLogRetentionDays, { message: LOG_RETENTION_MESSAGE }).default(90),
});

export const platformSchema = z.strictObject({
  model_registry: modelRegistrySchema.optional(),
  database: databaseSchema.optional(),
  cache: cacheSchema.optional(),
  /** OIDC providers and the cookie-signing secret in Secrets Manager. */
  secrets: secretsSchema.optional(),
  external_secrets: externalSecretsSchema.optional(),
  load_balancer_controller: loadBalancerControllerSchema.optional(),
  /**
   * With cluster.auto_mode: the `alb` IngressClass on EKS Auto Mode's own load balancer controller, and its
   * IngressClassParams (certificate, scheme, TLS 1.3 policy). Replaces load_balancer_controller there.
   */
  auto_mode_ingress: loadBalancerControllerSchema.optional(),
  gpu: gpuSchema.optional(),
  logs: logsSchema.optional(),
  /** Stakater Reloader: restarts workloads whose secrets rotated. */
  reloader: z.strictObject({}).optional(),
});

export type PlatformConfig = z.output<typeof platformSchema>;

interface EnvironmentForPlatform {
  readonly region: string;
  readonly capacity_blocks: ReadonlyArray<{ readonly name: string; readonly ami_type: string; readonly labels: Readonly<Record<string, string>> }>;
  readonly platform?: PlatformConfig | undefined;
}

/** Rules that need the rest of the environment. Each names the field it blames. */
export function checkPlatform(env: EnvironmentForPlatform, ctx: z.RefinementCtx): void {
  for (const section of ["load_balancer_controller", "auto_mode_ingress"] as const) {
    const certificateArn = env.platform?.[section]?.certificate_arn;
    const certificateRegion = certificateArn ? ACM_CERTIFICATE_ARN.exec(certificateArn)?.[1] : undefined;
    if (certificateRegion !== undefined && certificateRegion !== env.region) {
      ctx.addIssue({
        code: "custom",
        path: ["platform", section, "certificate_arn"],
        message: `the certificate is in "${certificateRegion}" but the environment is in "${env.region}"; an ALB only uses ACM certificates of its own region`,
      });
    }
  }
  const platform = env.platform;
  if (platform?.external_secrets && !platform.database && !platform.cache && !platform.model_registry && !platform.secrets) {
    ctx.addIssue({
      code: "custom",
      path: ["platform", "external_secrets"],
      message: "External Secrets would have nothing to sync; turn on at least one of database, cache, model_registry or secrets",
    });
  }
  if (platform?.gpu?.gpu_operator) {
    env.capacity_blocks.forEach((block, index) => {
      if (block.ami_type.startsWith("BOTTLEROCKET") && block.labels[GPU_OPERATOR_OPT_OUT_LABEL.key] !== GPU_OPERATOR_OPT_OUT_LABEL.value) {
        ctx.addIssue({
          code: "custom",
          path: ["capacity_blocks", index, "labels"],
          message: `block "${block.name}" runs Bottlerocket, which ships its own NVIDIA device plugin; with platform.gpu.gpu_operator = true add labels = { "${GPU_OPERATOR_OPT_OUT_LABEL.key}" = "${GPU_OPERATOR_OPT_OUT_LABEL.value}" } so the operator leaves its nodes alone`,
        });
      }
    });
  }
}
