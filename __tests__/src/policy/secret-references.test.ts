import { describe, expect, it } from "vitest";
import { secretReferenceIn } from "../../../src/policy/secret-references";

describe("secret references", () => {
  it("names a reference to an attribute the provider marks sensitive, inside any expression", () => {
    expect(secretReferenceIn("${aws_api_gateway_api_key.key.value}")).toBe("the sensitive attribute aws_api_gateway_api_key.key.value");
    expect(secretReferenceIn('${jsondecode(aws_secretsmanager_secret_version.db.secret_string)["password"]}')).toBe(
      "the sensitive attribute aws_secretsmanager_secret_version.db.secret_string",
    );
    expect(secretReferenceIn("${data.aws_ssm_parameter.token.value}")).toBe("the sensitive attribute data.aws_ssm_parameter.token.value");
    expect(secretReferenceIn("${random_password.cookies[0].result}")).toBe("the sensitive attribute random_password.cookies[0].result");
  });

  it("leaves names, ARNs, ids and endpoints alone", () => {
    for (const text of [
      "${aws_api_gateway_api_key.key.id}",
      "${aws_secretsmanager_secret.db.arn}",
      "${aws_ssm_parameter.token.name}",
      "${aws_db_instance.db.address}",
      "https://${aws_api_gateway_rest_api.api.id}.execute-api.us-east-1.amazonaws.com/v1",
      "postgres://platform@db.internal:5432/platform",
      "https://example.com/users/a@b",
    ]) {
      expect(secretReferenceIn(text), text).toBeUndefined();
    }
  });

  it("names a URL that carries a password, literal or referenced", () => {
    expect(secretReferenceIn("postgres://platform:s3cr3t@db.internal:5432/platform")).toBe("a URL with an inline password");
    expect(secretReferenceIn("rediss://:${var.token}@cache.internal:6379")).toBe("a URL with an inline password");
  });
});
