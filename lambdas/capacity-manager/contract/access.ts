/**
 * Who may call what, shared with the infrastructure (caller policies, API keys, the API's resource policy).
 * Approving spends money: only the configured approver principals (or, in key-only mode, the approver key) may.
 */
import type { ApiRoute } from "./api-routes";

/** What a caller may do: read records, change them, or approve purchases (spends money). */
export type ApiPermission = "read" | "write" | "approve";

export const API_PERMISSIONS: readonly ApiPermission[] = ["read", "write", "approve"];

/** `iam_and_key`: SigV4 identities (API keys only meter); `api_key_only`: the key is the identity. */
export type ApiAccessMode = "iam_and_key" | "api_key_only";

export function permissionOf(route: ApiRoute): ApiPermission {
  if (route.approvePermission) return "approve";
  return route.method === "GET" ? "read" : "write";
}

/** What the API function knows about its callers (from its environment). */
export interface ApiAccess {
  readonly mode: ApiAccessMode;
  /** IAM roles and users allowed to approve (`arn:aws:iam::<account>:role/…` or `user/…`). */
  readonly approverPrincipalArns: readonly string[];
  /** The API key id of each permission (key-only mode authorizes by these). */
  readonly apiKeyIds: Readonly<Partial<Record<ApiPermission, string>>>;
}

/** The caller as API Gateway identified it. */
export interface Caller {
  /** `requestContext.identity.userArn`: an IAM user ARN or an STS assumed-role session ARN. */
  readonly userArn?: string | null | undefined;
  readonly apiKeyId?: string | null | undefined;
}

/** Why a caller was refused; the handler answers it as 403 with this code. */
export interface AccessRefusal {
  readonly code: "NOT_AN_APPROVER" | "API_KEY_NOT_ALLOWED";
  readonly message: string;
}

const PRINCIPAL_ARN = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/;

/**
 * The identity an ARN stands for, as `partition:account:role|user:name`. A role session
 * (`arn:aws:sts::1:assumed-role/Name/session`) is its role; role and user paths don't matter (names are unique in an
 * account). Anything else (root, federated users, malformed) is no approver: undefined.
 */
export function principalIdentity(arn: string): string | undefined {
  const match = PRINCIPAL_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, service, account, kind, rest] = match as unknown as [string, string, string, string, string, string];
  if (kind === "assumed-role") {
    if (service !== "sts") return undefined;
    const [roleName, session] = rest.split("/");
    return roleName && session ? `${partition}:${account}:role:${roleName}` : undefined;
  }
  if (service !== "iam") return undefined;
  const name = rest.split("/").at(-1);
  return name ? `${partition}:${account}:${kind}:${name}` : undefined;
}

/**
 * Refuses a caller the route's permission needs and the caller lacks; undefined when allowed. In `iam_and_key` mode
 * IAM already authorized the call, and only approvals are checked here: the caller must be a configured approver
 * (an API key is never one). In `api_key_only` mode the key decides: the read key reads, the write key reads and
 * writes, the approver key reads and approves.
 */
export function refuseCaller(permission: ApiPermission, caller: Caller, access: ApiAccess): AccessRefusal | undefined {
  if (access.mode === "api_key_only") {
    const keyPermission = API_PERMISSIONS.find((candidate) => caller.apiKeyId && access.apiKeyIds[candidate] === caller.apiKeyId);
    if (keyPermission !== undefined && (permission === "read" || keyPermission === permission)) return undefined;
    return {
      code: permission === "approve" ? "NOT_AN_APPROVER" : "API_KEY_NOT_ALLOWED",
      message: `this API key may not ${permission === "approve" ? "approve purchases; only the approver key may" : permission} (api_auth = "api_key_only")`,
    };
  }
  if (permission !== "approve") return undefined;
  const identity = caller.userArn ? principalIdentity(caller.userArn) : undefined;
  const approvers = new Set(access.approverPrincipalArns.map(principalIdentity).filter((id): id is string => id !== undefined));
  if (identity !== undefined && approvers.has(identity)) return undefined;
  return {
    code: "NOT_AN_APPROVER",
    message:
      approvers.size === 0
        ? "approvals are switched off: capacity_manager.approver_principal_arns names no approver"
        : `${caller.userArn ?? (caller.apiKeyId ? `apiKey:${caller.apiKeyId}` : "an anonymous caller")} is not one of capacity_manager.approver_principal_arns`,
  };
}
