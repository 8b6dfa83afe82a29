import { ElasticacheReplicationGroup } from "@cdktf/provider-aws/lib/elasticache-replication-group";
import { ElasticacheSubnetGroup } from "@cdktf/provider-aws/lib/elasticache-subnet-group";
import { ElasticacheUser } from "@cdktf/provider-aws/lib/elasticache-user";
import { ElasticacheUserGroup } from "@cdktf/provider-aws/lib/elasticache-user-group";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { policyDocument } from "../../../lib/iam";
import { checkedName } from "../../../lib/naming";
import { ClientSecurityGroup } from "../common/client-security-group";

export const REDIS_PORT = 6379;

/** Redis 7 engine version; minor updates are applied in the maintenance window. */
export const REDIS_ENGINE_VERSION = "7.1";

export interface PlatformCacheProps {
  /** Replication group id: at most 40 characters, starting with a letter. */
  readonly replicationGroupId: string;
  /** VPC of the cache's security group. */
  readonly vpcId: string;
  /** Private subnets the nodes are placed in. */
  readonly subnetIds: readonly string[];
  /** Only these security groups (the nodes') may connect on 6379. */
  readonly clientSecurityGroups: Readonly<Record<string, string>>;
  /** Encrypts the data at rest and the snapshots. */
  readonly kmsKeyArn: string;
  /** ElastiCache node type, e.g. `cache.r7g.large`. */
  readonly nodeType: string;
  /** Promote a replica when the primary fails (Multi-AZ); needs numCacheClusters >= 2. */
  readonly automaticFailover: boolean;
  /** Primary plus replicas. */
  readonly numCacheClusters: number;
  /**
   * Days automatic snapshots are kept.
   * @default 7
   */
  readonly snapshotRetentionDays?: number;
}

/**
 * ElastiCache for Redis 7: a replication group encrypted at rest (KMS) and in transit (TLS required), optional
 * automatic failover across AZs, and a security group open only to the given client groups. Clients authenticate with
 * IAM (RBAC user with IAM authentication; the `default` user is switched off), so no password or AUTH token exists,
 * in Terraform state or anywhere else. Authentication modes: hashicorp/terraform-provider-aws
 * internal/service/elasticache/user.go (`authentication_mode.type`: password, no-password-required, iam).
 */
export class PlatformCache extends Construct {
  readonly primaryEndpointAddress: string;
  /** `rediss://<user>@<primary>:6379`: no secret in it; the client signs an IAM auth token as the password. */
  readonly connectionUrl: string;
  /** The Redis user clients connect as (IAM authentication: user id = user name). */
  readonly userName: string;
  private readonly connectArns: readonly string[];

  constructor(scope: Construct, id: string, props: PlatformCacheProps) {
    super(scope, id);
    const snapshotRetentionDays = props.snapshotRetentionDays ?? 7;
    const where = `cache "${props.replicationGroupId}"`;
    if (!/^[a-z][a-z0-9-]{0,39}$/.test(props.replicationGroupId) || props.replicationGroupId.includes("--") || props.replicationGroupId.endsWith("-")) {
      throw new Error(`${where}: replicationGroupId must be 1-40 lower-case letters, digits or single '-', starting with a letter`);
    }
    if (props.automaticFailover && props.numCacheClusters < 2) {
      throw new Error(`${where}: automaticFailover needs numCacheClusters >= 2, got ${props.numCacheClusters}`);
    }
    const securityGroup = new ClientSecurityGroup(this, "security-group", {
      name: `${props.replicationGroupId}-redis`,
      service: `Redis ${props.replicationGroupId}`,
      vpcId: props.vpcId,
      port: REDIS_PORT,
      clientSecurityGroups: props.clientSecurityGroups,
    });
    const subnetGroup = new ElasticacheSubnetGroup(this, "subnet-group", {
      name: checkedName("aws_elasticache_subnet_group.name", props.replicationGroupId),
      description: `Private subnets of ${props.replicationGroupId}`,
      subnetIds: [...props.subnetIds],
    });
    // Every user group must hold a user named "default"; this one can't log in or run anything.
    const defaultUser = new ElasticacheUser(this, "default-user", {
      userId: `${props.replicationGroupId}-default`,
      userName: "default",
      engine: "redis",
      accessString: "off -@all",
      authenticationMode: { type: "no-password-required" },
    });
    // IAM authentication needs user id = user name; clients need elasticache:Connect on the group and the user.
    const appUser = new ElasticacheUser(this, "app-user", {
      userId: `${props.replicationGroupId}-app`,
      userName: `${props.replicationGroupId}-app`,
      engine: "redis",
      accessString: "on ~* +@all",
      authenticationMode: { type: "iam" },
    });
    const userGroup = new ElasticacheUserGroup(this, "user-group", {
      userGroupId: props.replicationGroupId,
      engine: "redis",
      userIds: [defaultUser.userId, appUser.userId],
    });
    const group = new ElasticacheReplicationGroup(this, "replication-group", {
      replicationGroupId: checkedName("aws_elasticache_replication_group.replication_group_id", props.replicationGroupId),
      description: `Redis for the platform services of ${props.replicationGroupId}`,
      engine: "redis",
      engineVersion: REDIS_ENGINE_VERSION,
      parameterGroupName: "default.redis7",
      nodeType: props.nodeType,
      numCacheClusters: props.numCacheClusters,
      automaticFailoverEnabled: props.automaticFailover,
      multiAzEnabled: props.automaticFailover,
      port: REDIS_PORT,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [securityGroup.securityGroupId],
      atRestEncryptionEnabled: "true",
      kmsKeyId: props.kmsKeyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      userGroupIds: [userGroup.userGroupId],
      autoMinorVersionUpgrade: "true",
      snapshotRetentionLimit: snapshotRetentionDays,
      finalSnapshotIdentifier: `${props.replicationGroupId}-final`,
      applyImmediately: false,
      // No deletion protection exists for replication groups; the cache holds sessions and queues worth keeping.
      lifecycle: { preventDestroy: true },
    });
    this.primaryEndpointAddress = group.primaryEndpointAddress;
    this.userName = appUser.userName;
    this.connectionUrl = `rediss://${appUser.userName}@${group.primaryEndpointAddress}:${REDIS_PORT}`;
    this.connectArns = [group.arn, appUser.arn];
  }

  /** Lets a role connect as the app user (IAM authentication): elasticache:Connect on the group and the user only. */
  grantConnect(id: string, roleName: string): void {
    new IamRolePolicy(this, id, {
      role: roleName,
      name: "redis-connect",
      policy: policyDocument([{ Sid: "ConnectToRedis", Effect: "Allow", Action: "elasticache:Connect", Resource: [...this.connectArns] }]),
    });
  }
}
