/** Typed failures the handlers map to HTTP statuses (invalid → 422, conflict → 409, not found → 404). */
export type DomainErrorKind = "invalid" | "conflict" | "not-found" | "forbidden";

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
