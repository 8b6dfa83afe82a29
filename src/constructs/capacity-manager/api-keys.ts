import { ApiGatewayApiKey } from "@cdktf/provider-aws/lib/api-gateway-api-key";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Construct } from "constructs";
import { API_PERMISSIONS, type ApiPermission } from "../../../lambdas/capacity-manager/contract/access";
import type { Grantee } from "../../lib/iam";
import { checkedName } from "../../lib/naming";

export interface ApiKeysProps {
  /** Prefix of the key names, e.g. `blockfleet-prod-capacity-manager`. */
  readonly namePrefix: string;
  /** Secret names are `<secretPrefix>-<permission>`, e.g. `blockfleet/prod/capacity-manager/api-key-read`. */
  readonly secretPrefix: string;
  /** Encrypts the secrets. */
  readonly kmsKeyArn: string;
  /**
   * Days a deleted secret can still be restored.
   * @default 30
   */
  readonly recoveryWindowInDays?: number;
}

/**
 * One API key per permission (read, write, approve), each in its own secret, so a caller holding the read key can't
 * write and only the approver key can approve (in `api_key_only` mode the API function authorizes by the key).
 *
 * API Gateway returns a key's value with the key, so the AWS provider keeps it in Terraform state whatever we do:
 * a reader of the state can read the keys (see the README's "What the state holds").
 */
export class ApiKeys extends Construct {
  readonly keyIds: Readonly<Record<ApiPermission, string>>;
  readonly secretArns: Readonly<Record<ApiPermission, string>>;
  readonly secretNames: Readonly<Record<ApiPermission, string>>;

  constructor(scope: Construct, id: string, props: ApiKeysProps) {
    super(scope, id);
    const recoveryWindowInDays = props.recoveryWindowInDays ?? 30;
    const keyIds = {} as Record<ApiPermission, string>;
    const secretArns = {} as Record<ApiPermission, string>;
    const secretNames = {} as Record<ApiPermission, string>;
    for (const permission of API_PERMISSIONS) {
      const keyScope = new Construct(this, permission);
      const key = new ApiGatewayApiKey(keyScope, "key", {
        name: `${props.namePrefix}-${permission}`,
        description: `The ${permission} key; read it from Secrets Manager`,
        enabled: true,
      });
      const secret = new SecretsmanagerSecret(keyScope, "secret", {
        name: checkedName("aws_secretsmanager_secret.name", `${props.secretPrefix}-${permission}`),
        description: `API key of ${props.namePrefix} for ${permission} (x-api-key header)`,
        kmsKeyId: props.kmsKeyArn,
        recoveryWindowInDays,
      });
      new SecretsmanagerSecretVersion(keyScope, "secret-value", { secretId: secret.id, secretString: key.value });
      keyIds[permission] = key.id;
      secretArns[permission] = secret.arn;
      secretNames[permission] = secret.name;
    }
    this.keyIds = keyIds;
    this.secretArns = secretArns;
    this.secretNames = secretNames;
  }

  /**
   * Lets the grantee read the one key of a permission (never the others'). The secret is encrypted with the manager's
   * key: grant its use through Secrets Manager too.
   */
  grantRead(grantee: Grantee, permission: ApiPermission): void {
    grantee.addToRolePolicy({ Sid: "ReadApiKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: this.secretArns[permission] });
  }
}
