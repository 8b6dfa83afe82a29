import { apiGatewayRules } from "./api-gateway";
import { capacityBlockRules } from "./capacity-blocks";
import { capacityManagerRules } from "./capacity-manager";
import { computeRules } from "./compute";
import { dataServiceRules } from "./data-services";
import { eksRules } from "./eks";
import { iamRules } from "./iam";
import { lambdaRules } from "./lambda";
import { networkRules } from "./network";
import { reliabilityRules } from "./reliability";
import type { Rule } from "./rule";
import { secretRules } from "./secrets";

/** Every rule of the gate, in report order. */
export const ALL_RULES: readonly Rule[] = [
  ...eksRules,
  ...computeRules,
  ...capacityBlockRules,
  ...capacityManagerRules,
  ...networkRules,
  ...dataServiceRules,
  ...lambdaRules,
  ...secretRules,
  ...apiGatewayRules,
  ...iamRules,
  ...reliabilityRules,
];

export type { Rule, RuleContext } from "./rule";
