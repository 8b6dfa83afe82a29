import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { AwsContext } from "../../../lib/aws-context";
import { GrantedStatements, type Grantee, keyThroughServiceStatement, type PolicyStatement } from "../../../lib/iam";
import { checkedName } from "../../../lib/naming";
import { EncryptionKey } from "../../kms-key";

/** What a reader of a secret needs: its value and its metadata (External Secrets checks both). */
export const SECRET_READ_ACTIONS = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"] as const;

/** The Secrets Manager layout under `<prefix>/`, as a self-hosted ML platform's Helm values expect it. */
export function platformSecretNames(prefix: string) {
  return {
    /** JSON: endpoint, port, database_name. */
    databaseConnection: `${prefix}/rds/connection`,
    /** JSON: model_registry and workdir S3 URLs. */
    storage: `${prefix}/s3/storage`,
    /** JSON: url, with the auth token, of the Redis primary endpoint. */
    redis: `${prefix}/redis/auth-token`,
    /** String: JSON array of OIDC provider configurations. */
    oidcProviders: `${prefix}/oidc_secret`,
    /** String: random, signs session cookies. */
    cookies: `${prefix}/cookies-secret`,
  } as const;
}

export type PlatformSecretKind = keyof ReturnType<typeof platformSecretNames>;

export interface SecretsStoreProps {
  /** Names the store's KMS key alias. */
  readonly clusterName: string;
  /** Path prefix of every secret (the environment name). */
  readonly prefix: string;
  /** Account and region of the key; readers decrypt only through this region's Secrets Manager. */
  readonly aws: AwsContext;
  /**
   * Days a deleted secret can still be restored.
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
}

/**
 * A value generated at apply time that never reaches Terraform state: an ephemeral `random_password` (hashicorp/random
 * >= 3.7.0, internal/provider/ephemeral_password.go) written through the write-only `secret_string_wo` of
 * aws_secretsmanager_secret_version (AWS provider 6.25.0; terraform >= 1.11). Raise `version` to generate a new value.
 */
export interface GeneratedSecretValue {
  /** Letters and digits. */
  readonly length: number;
  /**
   * Written again (a new value) when this changes.
   * @default 1
   */
  readonly version?: number;
}

export interface AddSecretOptions {
  readonly description: string;
  /** The secret's value; may hold Terraform references (it is kept in state). Give this or `generated`. */
  readonly value?: string;
  /**
   * Generate the value at apply time, outside state, instead of `value`.
   * @default none
   */
  readonly generated?: GeneratedSecretValue;
  /**
   * Terraform writes the first value only; later values are set in Secrets Manager (by people or rotation) and kept.
   * @default false
   */
  readonly valueManagedOutsideTerraform?: boolean;
}

/** A secret kept outside the store but encrypted with its key (the RDS-managed master secret): it grants its own read. */
export interface ReadableSecret {
  /** Grants reading the secret itself; decrypting it with the store's key comes with the store's grantRead. */
  grantRead(grantee: Grantee): void;
}

/**
 * The platform's secrets under `<prefix>/…`, encrypted with their own KMS key. Readers are granted exactly the
 * secrets added here (see grantRead), never the whole account's.
 */
export class SecretsStore extends Construct {
  readonly keyArn: string;
  readonly names: ReturnType<typeof platformSecretNames>;
  private readonly secretArns = new Map<PlatformSecretKind, string>();
  private readonly recoveryWindowInDays: number;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: SecretsStoreProps) {
    super(scope, id);
    this.recoveryWindowInDays = props.recoveryWindowInDays ?? 30;
    if (this.recoveryWindowInDays < 7 || this.recoveryWindowInDays > 30) {
      throw new Error(`secrets store "${props.prefix}": recoveryWindowInDays must be 7-30, got ${this.recoveryWindowInDays}`);
    }
    this.names = platformSecretNames(props.prefix);
    this.region = props.aws.region;
    this.keyArn = new EncryptionKey(this, "key", {
      aliasName: `${props.clusterName}-secrets`,
      description: `Platform secrets of ${props.clusterName}`,
      aws: props.aws,
    }).keyArn;
  }

  /** Creates the secret of one kind of the layout with its value; returns its ARN. */
  addSecret(kind: PlatformSecretKind, options: AddSecretOptions): string {
    if (this.secretArns.has(kind)) throw new Error(`secrets store: secret "${this.names[kind]}" was already added`);
    const secretScope = new Construct(this, kind);
    const secret = new SecretsmanagerSecret(secretScope, "secret", {
      name: checkedName("aws_secretsmanager_secret.name", this.names[kind]),
      description: options.description,
      kmsKeyId: this.keyArn,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    if ((options.value === undefined) === (options.generated === undefined)) {
      throw new Error(`secrets store: secret "${this.names[kind]}" needs exactly one of value and generated`);
    }
    if (options.generated) {
      const { length } = options.generated;
      const version = options.generated.version ?? 1;
      if (!Number.isInteger(length) || length < 16 || length > 4096)
        throw new Error(`secrets store: secret "${this.names[kind]}": generated.length must be 16-4096, got ${length}`);
      if (!Number.isInteger(version) || version < 1)
        throw new Error(`secrets store: secret "${this.names[kind]}": generated.version must be a whole number >= 1, got ${version}`);
      // cdktf 0.21 has no ephemeral resources: the block is added to the stack's JSON as Terraform reads it.
      const ephemeralName = `${this.node.id}_${kind}`.replace(/[^A-Za-z0-9_-]/g, "_");
      TerraformStack.of(this).addOverride(`ephemeral.random_password.${ephemeralName}`, { length, special: false });
      new SecretsmanagerSecretVersion(secretScope, "value", {
        secretId: secret.id,
        secretStringWo: `\${ephemeral.random_password.${ephemeralName}.result}`,
        secretStringWoVersion: version,
      });
    } else {
      new SecretsmanagerSecretVersion(secretScope, "value", {
        secretId: secret.id,
        secretString: options.value,
        lifecycle: options.valueManagedOutsideTerraform ? { ignoreChanges: ["secret_string"] } : undefined,
      });
    }
    this.secretArns.set(kind, secret.arn);
    return secret.arn;
  }

  /** Kinds of secret added so far, in the order they were added. */
  get kinds(): readonly PlatformSecretKind[] {
    return [...this.secretArns.keys()];
  }

  /**
   * Read access to exactly the secrets added here, plus `extraSecretArns` (e.g. the RDS-managed master secret
   * encrypted with this store's key), and decryption with the store's key only through Secrets Manager.
   */
  grantRead(grantee: Grantee, alsoReadable: readonly ReadableSecret[] = []): void {
    const also = new GrantedStatements();
    for (const secret of alsoReadable) secret.grantRead(also);
    for (const statement of this.readStatements(also.statements)) grantee.addToRolePolicy(statement);
  }

  /** The statements grantRead grants, `extra` between the store's secrets and its key. */
  readStatements(extra: readonly PolicyStatement[] = []): PolicyStatement[] {
    if (this.secretArns.size === 0 && extra.length === 0) throw new Error("secrets store: nothing to read; add a secret or pass extra statements");
    const own: PolicyStatement[] =
      this.secretArns.size > 0
        ? [{ Sid: "ReadPlatformSecrets", Effect: "Allow", Action: [...SECRET_READ_ACTIONS], Resource: [...this.secretArns.values()] }]
        : [];
    return [...own, ...extra, keyThroughServiceStatement("DecryptPlatformSecrets", this.keyArn, "secretsmanager", this.region, ["kms:Decrypt"])];
  }
}
