import { apiGatewayRules } from "./api-gateway";
import { capacityBlockRules } from "./capacity-blocks";
import { computeRules } from "./compute";
import { dataServiceRules } from "./data-services";
import { eksRules } from "./eks";
import { iamRules } from "./iam";
import { lambdaRules } from "./lambda";
import { networkRules } from "./network";
import { reliabilityRules } from "./reliability";
import type { Rule } from "./rule";

/** Every rule of the gate, in report order. */
export const ALL_RULES: readonly Rule[] = [
  ...eksRules,
  ...computeRules,
  ...capacityBlockRules,
  ...networkRules,
  ...dataServiceRules,
  ...lambdaRules,
  ...apiGatewayRules,
  ...iamRules,
  ...reliabilityRules,
];

export type { Rule, RuleContext } from "./rule";
