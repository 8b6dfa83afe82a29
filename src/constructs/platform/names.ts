import type { Naming } from "../../lib/naming";
import { platformSecretNames } from "./secrets";

/**
 * Physical names of the platform's pieces, derived from the environment alone, so the AWS stack that creates them and
 * the Kubernetes stacks that refer to them agree without passing tokens between stacks.
 */
export function platformNames(names: Naming) {
  return {
    /** RDS instance identifier. */
    databaseIdentifier: names.resource("platform"),
    /** ElastiCache replication group id (40 characters at most). */
    cacheReplicationGroupId: names.resource("platform", 40),
    secrets: platformSecretNames(names.environment),
    externalSecretsRoleName: names.resource("external-secrets"),
    loadBalancerControllerRoleName: names.resource("aws-load-balancer-controller"),
  } as const;
}

export type PlatformNames = ReturnType<typeof platformNames>;
