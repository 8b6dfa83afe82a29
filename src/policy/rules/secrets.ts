import { isJsonObject, type JsonValue } from "../model";
import { secretReferenceIn } from "../secret-references";
import { secretIn } from "./compute";
import { type Rule, resourceRule } from "./rule";

/** Every string inside a JSON value, with its path (`value.redis.url`). */
function stringsIn(value: JsonValue | undefined, path: string): Array<{ path: string; text: string }> {
  if (typeof value === "string") return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsIn(item, `${path}[${index}]`));
  if (isJsonObject(value)) return Object.entries(value).flatMap(([key, item]) => stringsIn(item, `${path}.${key}`));
  return [];
}

/** What secret a string holds or copies: a sensitive reference, an inline URL password, or a secret-looking literal. */
function secretInValue(text: string): string | undefined {
  return secretReferenceIn(text) ?? (text.includes("${") ? undefined : secretIn(text));
}

export const secretRules: readonly Rule[] = [
  resourceRule({
    id: "BF-SSM-001",
    checkovId: "CKV2_AWS_34",
    title: "No secrets in SSM String parameters",
    fix: 'store the value as type = "SecureString" with a customer managed key, or better keep it in Secrets Manager and publish only its name',
    types: ["aws_ssm_parameter"],
    test: (parameter) => {
      if (parameter.config["type"] === "SecureString") return undefined;
      return ["value", "insecure_value"].flatMap((attribute) => {
        const value = parameter.config[attribute];
        const found = typeof value === "string" ? secretInValue(value) : undefined;
        return found ? [`${String(parameter.config["type"] ?? "String")} parameter ${attribute} holds ${found}, readable by anyone with ssm:GetParameter`] : [];
      });
    },
  }),
  {
    id: "BF-OUT-001",
    checkovId: "",
    title: "No secrets in stack outputs",
    fix: "output the secret's name or ARN instead; outputs are stored in plain text in the state and shown by terraform output (sensitive = true only hides them from the console)",
    check: ({ workspace }) =>
      workspace.stacks.flatMap((stack) => {
        const outputs = stack.json["output"];
        if (!isJsonObject(outputs)) return [];
        return Object.entries(outputs).flatMap(([name, output]) =>
          stringsIn(isJsonObject(output) ? output["value"] : undefined, "value").flatMap(({ path, text }) => {
            const found = secretInValue(text);
            return found ? [{ ruleId: "BF-OUT-001", address: `${stack.name}/output.${name}`, message: `${path} holds ${found}` }] : [];
          }),
        );
      }),
  },
];
