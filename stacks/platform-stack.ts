import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { PlatformConfig } from "../src/config/platform-schema";
import { EncryptionKey } from "../src/constructs/kms-key";
import { PlatformCache } from "../src/constructs/platform/cache";
import { CONTROLLER_SERVICE_ACCOUNTS } from "../src/constructs/platform/charts";
import { ClusterLookup } from "../src/constructs/platform/cluster-lookup";
import { platformNames, platformSecretKinds } from "../src/constructs/platform/common/names";
import { PlatformDatabase } from "../src/constructs/platform/database";
import { loadBalancerControllerStatements } from "../src/constructs/platform/load-balancer-controller";
import { MODEL_REGISTRY_PREFIXES, ModelRegistry } from "../src/constructs/platform/model-registry";
import { ClusterObservability } from "../src/constructs/platform/observability";
import { SecretsStore } from "../src/constructs/platform/secrets";
import { PodIdentityRole } from "../src/constructs/pod-identity-role";
import { awsContext } from "../src/lib/aws-context";
import { GrantedStatements } from "../src/lib/iam";
import { EnvironmentStack, type EnvironmentStackProps } from "./environment-stack";
import { PlatformKubernetesStack, PlatformManifestsStack, platformHasCharts, platformHasManifests } from "./platform-kubernetes-stacks";

export interface PlatformStackProps extends Omit<EnvironmentStackProps, "stateBackend"> {
  readonly platform: PlatformConfig;
}

/** True when the platform section turns on anything with AWS resources. */
export function platformHasAwsParts(platform: PlatformConfig): boolean {
  return [
    platform.model_registry,
    platform.database,
    platform.cache,
    platform.secrets,
    platform.external_secrets,
    platform.load_balancer_controller,
    platform.logs,
  ].some((part) => part !== undefined);
}

/**
 * `<env>-platform`, after `<env>-cluster`: the AWS side of the platform services — model bucket, PostgreSQL, Redis,
 * the secrets layout, and the Pod Identity roles of External Secrets, the load balancer controller and the
 * CloudWatch agent. Finds the cluster's network by name and tags, so it plans without the cluster stack's state.
 */
export class PlatformStack extends EnvironmentStack {
  constructor(scope: Construct, props: PlatformStackProps) {
    super(scope, "platform", props);
    const { config, names } = this;
    const { platform } = props;
    const aws = awsContext(this, config.region);
    const platformNamed = platformNames(names);
    const cluster = new ClusterLookup(this, "cluster", { clusterName: names.clusterName });
    new RandomProvider(this, "random");

    const needsLogsKey = platform.database !== undefined || platform.logs !== undefined;
    const logsKey = needsLogsKey
      ? new EncryptionKey(this, "logs-key", {
          aliasName: `${names.clusterName}-platform-logs`,
          description: `Platform logs of ${names.clusterName}`,
          aws,
          servicePrincipals: [`logs.${config.region}.amazonaws.com`],
        })
      : undefined;
    const dataKey =
      platform.database !== undefined || platform.cache !== undefined
        ? new EncryptionKey(this, "data-key", {
            aliasName: `${names.clusterName}-platform-data`,
            description: `Platform databases of ${names.clusterName}`,
            aws,
          })
        : undefined;
    const secrets =
      platformSecretKinds(platform).length > 0
        ? new SecretsStore(this, "secrets", { clusterName: names.clusterName, prefix: names.environment, aws })
        : undefined;

    let registry: ModelRegistry | undefined;
    if (platform.model_registry && secrets) {
      registry = new ModelRegistry(this, "model-registry", {
        clusterName: names.clusterName,
        aws,
        serviceAccounts: platform.model_registry.service_accounts,
        noncurrentVersionExpirationDays: platform.model_registry.noncurrent_version_expiration_days,
      });
      secrets.addSecret("storage", {
        description: "S3 locations of the model registry and the shared work directory",
        value: JSON.stringify({
          model_registry: `s3://${registry.bucketName}/${MODEL_REGISTRY_PREFIXES.modelRegistry}`,
          workdir: `s3://${registry.bucketName}/${MODEL_REGISTRY_PREFIXES.workdir}`,
        }),
      });
      new TerraformOutput(this, "model_registry_bucket", { value: registry.bucketName });
      new TerraformOutput(this, "model_registry_role_arn", { value: registry.roleArn });
    }

    let database: PlatformDatabase | undefined;
    if (platform.database && secrets && dataKey && logsKey) {
      const settings = platform.database;
      database = new PlatformDatabase(this, "database", {
        identifier: platformNamed.databaseIdentifier,
        aws,
        vpcId: cluster.vpcId,
        subnetIds: cluster.privateSubnetIds,
        clientSecurityGroups: { ...cluster.nodeSecurityGroups },
        storageKmsKeyArn: dataKey.keyArn,
        secretKmsKeyArn: secrets.keyArn,
        logsKmsKeyArn: logsKey.keyArn,
        logRetentionDays: config.cluster.log_retention_days,
        engineVersion: settings.engine_version,
        instanceClass: settings.instance_class,
        multiAz: settings.multi_az,
        backupRetentionDays: settings.backup_retention_days,
        allocatedStorageGib: settings.allocated_storage_gib,
        maxAllocatedStorageGib: settings.max_allocated_storage_gib,
        databaseName: settings.database_name,
      });
      secrets.addSecret("databaseConnection", {
        description: "Where the platform database is (credentials are in the RDS-managed secret)",
        value: JSON.stringify({ endpoint: database.address, port: String(database.port), database_name: database.databaseName }),
      });
      new TerraformOutput(this, "database_endpoint", { value: database.address });
    }

    if (platform.cache && secrets && dataKey) {
      const cache = new PlatformCache(this, "cache", {
        replicationGroupId: platformNamed.cacheReplicationGroupId,
        vpcId: cluster.vpcId,
        subnetIds: cluster.privateSubnetIds,
        clientSecurityGroups: { ...cluster.nodeSecurityGroups },
        kmsKeyArn: dataKey.keyArn,
        nodeType: platform.cache.node_type,
        automaticFailover: platform.cache.automatic_failover,
        numCacheClusters: platform.cache.num_cache_clusters,
      });
      // No password anywhere: clients sign an IAM auth token for the user (elasticache:Connect, granted below).
      secrets.addSecret("redis", {
        description: "Redis URL and user (TLS, IAM authentication)",
        value: JSON.stringify({ url: cache.connectionUrl, username: cache.userName }),
      });
      if (registry) cache.grantConnect("workloads-connect", registry.roleName);
      new TerraformOutput(this, "cache_endpoint", { value: cache.primaryEndpointAddress });
    }

    if (platform.secrets && secrets) {
      secrets.addSecret("oidcProviders", {
        description: "OIDC providers; add each client_secret here, Terraform keeps what you set",
        value: JSON.stringify(platform.secrets.oidc_providers.map((provider) => ({ ...provider, client_secret: "" }))),
        valueManagedOutsideTerraform: true,
      });
      // Generated at apply time and written write-only: never in Terraform state.
      secrets.addSecret("cookies", { description: "Signs session cookies", generated: { length: 64 } });
    }

    if (platform.external_secrets && secrets) {
      const access = new GrantedStatements();
      secrets.grantRead(access, database ? [database.masterSecret] : []);
      const role = new PodIdentityRole(this, "external-secrets", {
        clusterName: names.clusterName,
        aws,
        roleName: platformNamed.externalSecretsRoleName,
        serviceAccounts: [CONTROLLER_SERVICE_ACCOUNTS.externalSecrets],
        statements: access.statements,
      });
      new TerraformOutput(this, "external_secrets_role_arn", { value: role.roleArn });
    }

    if (platform.load_balancer_controller) {
      const role = new PodIdentityRole(this, "load-balancer-controller", {
        clusterName: names.clusterName,
        aws,
        roleName: platformNamed.loadBalancerControllerRoleName,
        serviceAccounts: [CONTROLLER_SERVICE_ACCOUNTS.loadBalancerController],
        statements: loadBalancerControllerStatements({ partition: aws.partition, region: aws.region, accountId: aws.accountId, vpcId: cluster.vpcId }),
      });
      new TerraformOutput(this, "load_balancer_controller_role_arn", { value: role.roleArn });
    }

    if (platform.logs && logsKey) {
      new ClusterObservability(this, "observability", {
        clusterName: names.clusterName,
        aws,
        logRetentionDays: platform.logs.retention_days,
        logsKmsKeyArn: logsKey.keyArn,
      });
    }
  }
}

/**
 * Adds the platform stacks an environment's platform section asks for, each after the one it needs:
 * cluster → platform (AWS) → platform-k8s (charts and their CRDs) → platform-manifests (custom resources).
 */
export function addPlatformStacks(scope: Construct, props: PlatformStackProps, cluster: EnvironmentStack): void {
  let previous: EnvironmentStack = cluster;
  if (platformHasAwsParts(props.platform)) {
    previous = new PlatformStack(scope, props);
    previous.addDependency(cluster);
  }
  if (platformHasCharts(props.platform)) {
    const charts = new PlatformKubernetesStack(scope, props);
    charts.addDependency(previous);
    previous = charts;
  }
  if (platformHasManifests(props.platform)) {
    new PlatformManifestsStack(scope, props).addDependency(previous);
  }
}
