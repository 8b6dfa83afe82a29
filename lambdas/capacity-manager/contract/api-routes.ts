/**
 * REST API contract, shared with the infrastructure that builds the API Gateway resources.
 * `approvePermission` marks the route that spends money: approving a purchase, loosening a record's money
 * policy (approval off, a higher or no cap, longer extensions, an earlier purchase; PUT refuses these) and
 * clearing a purchase held as unconfirmed. Give it to finance approvers only. Its body is optional.
 * Paths use API Gateway's `{PK}` path parameter syntax.
 */
export interface ApiRoute {
  readonly method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  readonly path: "/" | "/import" | "/spend" | "/{PK}";
  readonly operation: "listRecords" | "createRecord" | "importRecords" | "getSpend" | "getRecord" | "updateRecord" | "deleteRecord" | "approveRecord";
  readonly approvePermission: boolean;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: "GET", path: "/", operation: "listRecords", approvePermission: false },
  { method: "POST", path: "/", operation: "createRecord", approvePermission: false },
  { method: "POST", path: "/import", operation: "importRecords", approvePermission: false },
  /** The month's spend ledger against the budget (`?month=YYYY-MM`, default the current UTC month). */
  { method: "GET", path: "/spend", operation: "getSpend", approvePermission: false },
  { method: "GET", path: "/{PK}", operation: "getRecord", approvePermission: false },
  { method: "PUT", path: "/{PK}", operation: "updateRecord", approvePermission: false },
  { method: "DELETE", path: "/{PK}", operation: "deleteRecord", approvePermission: false },
  { method: "PATCH", path: "/{PK}", operation: "approveRecord", approvePermission: true },
];

/** Name of the path parameter in `/{PK}`. */
export const PK_PATH_PARAMETER = "PK";

/** Path words of the API's own resources: API Gateway routes them before `/{PK}`, so no record may be called so. */
export const RESERVED_PATH_WORDS: readonly string[] = API_ROUTES.map((r) => r.path)
  .filter((p) => p !== "/" && !p.includes("{"))
  .map((p) => p.slice(1));
