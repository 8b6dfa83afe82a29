import type { PlatformConfig } from "../../../config/platform-schema";
import type { Naming } from "../../../lib/naming";
import { type PlatformSecretKind, platformSecretNames } from "../secrets";

/**
 * Physical names of the platform's pieces, derived from the environment alone, so the AWS stack that creates them and
 * the Kubernetes stacks that refer to them agree without passing tokens between stacks.
 */
export function platformNames(names: Naming) {
  return {
    /** RDS instance identifier. */
    databaseIdentifier: names.resource("platform", "aws_db_instance.identifier"),
    /** ElastiCache replication group id (40 characters at most). */
    cacheReplicationGroupId: names.resource("platform", "aws_elasticache_replication_group.replication_group_id"),
    secrets: platformSecretNames(names.environment),
    externalSecretsRoleName: names.resource("external-secrets", "aws_iam_role.name"),
    loadBalancerControllerRoleName: names.resource("aws-load-balancer-controller", "aws_iam_role.name"),
  } as const;
}

export type PlatformNames = ReturnType<typeof platformNames>;

/**
 * The secrets of the `<env>/…` layout a platform section has, by the part that owns each: the AWS stack creates
 * exactly these and the manifests stack syncs exactly these, so the two stacks can't disagree.
 */
export function platformSecretKinds(platform: PlatformConfig): PlatformSecretKind[] {
  return [
    ...(platform.model_registry ? (["storage"] as const) : []),
    ...(platform.database ? (["databaseConnection"] as const) : []),
    ...(platform.cache ? (["redis"] as const) : []),
    ...(platform.secrets ? (["oidcProviders", "cookies"] as const) : []),
  ];
}
