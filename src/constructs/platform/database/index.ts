import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { Id } from "@cdktf/provider-random/lib/id";
import { Token } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../../lib/aws-context";
import type { Grantee, PolicyStatement } from "../../../lib/iam";
import { checkedName } from "../../../lib/naming";
import { ClientSecurityGroup } from "../common/client-security-group";
import { type ReadableSecret, SECRET_READ_ACTIONS } from "../secrets";

export const POSTGRES_PORT = 5432;

/** Logs RDS exports for PostgreSQL; their groups are created here so retention and encryption are ours. */
export const POSTGRES_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** Tag RDS puts on the master user secret it manages, naming the instance the secret belongs to. */
export const RDS_SECRET_INSTANCE_TAG = "aws:rds:primaryDBInstanceArn";

export interface PlatformDatabaseProps {
  /** DB identifier (also names the subnet group, parameter group and security group). */
  readonly identifier: string;
  /** Partition, region and account the master secret grant is scoped to. */
  readonly aws: AwsContext;
  /** VPC of the database's security group. */
  readonly vpcId: string;
  /** Private subnets, one per AZ. */
  readonly subnetIds: readonly string[];
  /** Only these security groups (the nodes') may connect. */
  readonly clientSecurityGroups: Readonly<Record<string, string>>;
  /** Encrypts storage and Performance Insights. */
  readonly storageKmsKeyArn: string;
  /** Encrypts the RDS-managed master user secret (the key External Secrets may decrypt). */
  readonly secretKmsKeyArn: string;
  /** Encrypts the exported PostgreSQL log groups. */
  readonly logsKmsKeyArn: string;
  /** Retention of the exported PostgreSQL log groups. */
  readonly logRetentionDays: number;
  /** Major (`17`) or major.minor (`17.6`). */
  readonly engineVersion: string;
  /** RDS instance class, e.g. `db.m8g.large`. */
  readonly instanceClass: string;
  /** A synchronous standby in a second AZ. */
  readonly multiAz: boolean;
  /** Days automated backups are kept (1-35). */
  readonly backupRetentionDays: number;
  /** Initial gp3 storage. */
  readonly allocatedStorageGib: number;
  /** Storage autoscaling ceiling; at least allocatedStorageGib. */
  readonly maxAllocatedStorageGib: number;
  /** Database created on the instance. */
  readonly databaseName: string;
  /**
   * Master user name; its password lives only in the RDS-managed secret.
   * @default "platform_admin"
   */
  readonly masterUsername?: string;
}

/**
 * PostgreSQL on RDS: private, encrypted gp3 storage with autoscaling, optional Multi-AZ, automated backups, deletion
 * protection and a final snapshot, the master password generated and rotated by RDS in Secrets Manager, TLS forced
 * by the parameter group, and a security group that admits only the given client groups on 5432.
 */
export class PlatformDatabase extends Construct {
  readonly address: string;
  readonly instanceArn: string;
  readonly port = POSTGRES_PORT;
  readonly databaseName: string;
  /** ARN of the RDS-managed `rds!db-…` secret holding username and password. */
  readonly masterUserSecretArn: string;
  readonly securityGroupId: string;
  private readonly aws: AwsContext;

  constructor(scope: Construct, id: string, props: PlatformDatabaseProps) {
    super(scope, id);
    const masterUsername = props.masterUsername ?? "platform_admin";
    const where = `database "${props.identifier}"`;
    // A subnet list looked up at plan time is one token; only a literal list can be counted here.
    if (!Token.isUnresolved(props.subnetIds) && props.subnetIds.length < 2) {
      throw new Error(`${where}: subnetIds must span at least 2 AZs (an RDS subnet group requires it), got ${props.subnetIds.length}`);
    }
    if (props.maxAllocatedStorageGib < props.allocatedStorageGib) {
      throw new Error(`${where}: maxAllocatedStorageGib must be >= allocatedStorageGib, got ${props.maxAllocatedStorageGib} < ${props.allocatedStorageGib}`);
    }
    const major = props.engineVersion.split(".")[0]!;
    this.aws = props.aws;

    const securityGroup = new ClientSecurityGroup(this, "security-group", {
      name: `${props.identifier}-postgres`,
      service: `PostgreSQL ${props.identifier}`,
      vpcId: props.vpcId,
      port: POSTGRES_PORT,
      clientSecurityGroups: props.clientSecurityGroups,
    });

    const subnetGroup = new DbSubnetGroup(this, "subnet-group", {
      name: checkedName("aws_db_subnet_group.name", props.identifier),
      description: `Private subnets of ${props.identifier}`,
      subnetIds: [...props.subnetIds],
    });
    const parameterGroup = new DbParameterGroup(this, "parameter-group", {
      // A prefix: with create_before_destroy the replacement needs a name of its own.
      namePrefix: checkedName("aws_db_parameter_group.name_prefix", `${props.identifier}-postgres${major}-`),
      family: `postgres${major}`,
      description: `TLS-only connections for ${props.identifier}`,
      parameter: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
      lifecycle: { createBeforeDestroy: true },
    });
    const logGroups = POSTGRES_LOG_EXPORTS.map(
      (logType) =>
        new CloudwatchLogGroup(this, `log-group-${logType}`, {
          name: checkedName("aws_cloudwatch_log_group.name", `/aws/rds/instance/${props.identifier}/${logType}`),
          retentionInDays: props.logRetentionDays,
          kmsKeyId: props.logsKmsKeyArn,
          // Audit logs outlive a destroy or rename of the database.
          skipDestroy: true,
        }),
    );

    // A new suffix for every instance, so the final snapshot of one destroy never collides with an earlier one's
    // (RDS refuses a final snapshot name that exists, and the destroy fails).
    const finalSnapshotSuffix = new Id(this, "final-snapshot-suffix", { byteLength: 4, keepers: { identifier: props.identifier } });
    const instance = new DbInstance(this, "instance", {
      identifier: checkedName("aws_db_instance.identifier", props.identifier),
      engine: "postgres",
      engineVersion: props.engineVersion,
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      instanceClass: props.instanceClass,
      dbName: props.databaseName,
      username: masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.secretKmsKeyArn,
      port: POSTGRES_PORT,
      multiAz: props.multiAz,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.securityGroupId],
      publiclyAccessible: false,
      parameterGroupName: parameterGroup.name,
      storageType: "gp3",
      allocatedStorage: props.allocatedStorageGib,
      maxAllocatedStorage: props.maxAllocatedStorageGib,
      storageEncrypted: true,
      kmsKeyId: props.storageKmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      backupRetentionPeriod: props.backupRetentionDays,
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: false,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${props.identifier}-final-${finalSnapshotSuffix.hex}`,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.storageKmsKeyArn,
      enabledCloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
      caCertIdentifier: "rds-ca-rsa2048-g1",
      dependsOn: logGroups,
    });

    this.address = instance.address;
    this.instanceArn = instance.arn;
    this.databaseName = props.databaseName;
    this.masterUserSecretArn = instance.masterUserSecret.get(0).secretArn;
    this.securityGroupId = securityGroup.securityGroupId;
  }

  /**
   * This instance's RDS-managed master secret, encrypted with the platform secrets' key: hand it to
   * `SecretsStore.grantRead` to grant reading it with the store's secrets.
   */
  readonly masterSecret: ReadableSecret = { grantRead: (grantee) => this.grantMasterSecretRead(grantee) };

  /** Grants reading this instance's RDS-managed master secret only (see masterSecretReadStatement). */
  grantMasterSecretRead(grantee: Grantee): void {
    grantee.addToRolePolicy(this.masterSecretReadStatement());
  }

  /**
   * Read access to this instance's RDS-managed master secret only. Its name (`rds!db-<uuid>`) is known after
   * apply, so the grant matches the `rds!db-` prefix and the tag RDS puts on the secret naming this instance.
   */
  private masterSecretReadStatement(): PolicyStatement {
    const { partition, region, accountId } = this.aws;
    return {
      Sid: "ReadDatabaseMasterSecret",
      Effect: "Allow",
      Action: [...SECRET_READ_ACTIONS],
      Resource: `arn:${partition}:secretsmanager:${region}:${accountId}:secret:rds!db-*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${RDS_SECRET_INSTANCE_TAG}`]: this.instanceArn } },
    };
  }
}
