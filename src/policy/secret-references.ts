/**
 * Where a Terraform expression copies a secret: a reference to an attribute the provider marks sensitive, or a
 * URL with a password inline (`rediss://:${random_password.x.result}@host`). A value like that lands in plain
 * text wherever it is copied to (a Lambda environment, an SSM String parameter, an output, the state).
 */

/**
 * Attributes the providers mark `Sensitive: true` in their schema. Read in the provider source (hashicorp/terraform-provider-aws):
 * internal/service/apigateway/api_key.go@050ac111 (`value`), internal/service/secretsmanager/secret_version.go@0042e8ea
 * (`secret_string`, `secret_binary`), internal/service/iam/access_key.go@1271cd22 (`secret`, `ses_smtp_password_v4`),
 * the SSM parameter data source (`value`). The others are listed as their providers' documentation marks them
 * sensitive (not re-read in source here); a false entry could only add findings, never hide one.
 */
export const SENSITIVE_ATTRIBUTES: ReadonlyArray<{ readonly type: string; readonly attributes: readonly string[] }> = [
  { type: "aws_api_gateway_api_key", attributes: ["value"] },
  { type: "aws_secretsmanager_secret_version", attributes: ["secret_string", "secret_binary"] },
  { type: "aws_iam_access_key", attributes: ["secret", "ses_smtp_password_v4"] },
  { type: "aws_ssm_parameter", attributes: ["value"] },
  { type: "aws_db_instance", attributes: ["password"] },
  { type: "aws_rds_cluster", attributes: ["master_password"] },
  { type: "aws_elasticache_replication_group", attributes: ["auth_token"] },
  { type: "aws_iam_user_login_profile", attributes: ["password"] },
  { type: "aws_secretsmanager_random_password", attributes: ["random_password"] },
  { type: "aws_cognito_user_pool_client", attributes: ["client_secret"] },
  { type: "random_password", attributes: ["result", "bcrypt_hash"] },
  { type: "tls_private_key", attributes: ["private_key_pem", "private_key_openssh", "private_key_pem_pkcs8"] },
];

const REFERENCE = new RegExp(
  `\\b((?:data\\.)?(?:${SENSITIVE_ATTRIBUTES.map(({ type }) => type).join("|")})\\.[A-Za-z0-9_-]+(?:\\[[^\\]]*\\])?\\.([a-z_0-9]+))`,
  "g",
);

/** A URL with credentials before the host: `scheme://user:password@host` (the password may be an expression). */
const INLINE_PASSWORD_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:"']*:([^\s/@"']+)@[^\s/"']+/i;

/** What secret a string copies, if any: the sensitive attribute it references, or an inline URL password. */
export function secretReferenceIn(text: string): string | undefined {
  for (const expression of text.match(/\$\{[^}]*\}/g) ?? []) {
    for (const match of expression.matchAll(REFERENCE)) {
      const [, reference = "", attribute = ""] = match;
      const type = reference.replace(/^data\./, "").split(".")[0]!;
      if (SENSITIVE_ATTRIBUTES.some((entry) => entry.type === type && entry.attributes.includes(attribute))) return `the sensitive attribute ${reference}`;
    }
  }
  const url = INLINE_PASSWORD_URL.exec(text);
  if (url && url[1] !== undefined && url[1] !== "") return "a URL with an inline password";
  return undefined;
}
