/** Store failures the reconciler and the API react to. */
export class RecordExistsError extends Error {
  constructor(readonly pk: string) {
    super(`record ${pk} already exists`);
    this.name = "RecordExistsError";
  }
}

export class VersionConflictError extends Error {
  constructor(
    readonly pk: string,
    readonly expectedVersion: number,
  ) {
    super(`record ${pk} changed since version ${expectedVersion} (concurrent write)`);
    this.name = "VersionConflictError";
  }
}

export class RecordNotFoundError extends Error {
  constructor(readonly pk: string) {
    super(`record ${pk} does not exist`);
    this.name = "RecordNotFoundError";
  }
}

/** A pagination cursor the store did not produce (empty, altered or for another record). */
export class InvalidCursorError extends Error {
  constructor(readonly cursor: string) {
    super("cursor is not a value returned by a previous page");
    this.name = "InvalidCursorError";
  }
}
