import type { Issue } from "../core/issue.js";

/** An error the API maps to a 4xx: a stable code, an HTTP status, and where relevant a JSON path. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly issues?: readonly Issue[],
  ) {
    super(message);
    this.name = "RequestError";
  }
}

export class NotFoundError extends RequestError {
  constructor(what: string, id: string) {
    super(404, "NOT_FOUND", `${what} ${id} not found`);
  }
}

export class InvalidError extends RequestError {
  constructor(message: string, issues: readonly Issue[]) {
    super(400, "INVALID", message, issues[0]?.path, issues);
  }
}

export class ConflictError extends RequestError {
  constructor(message: string) {
    super(409, "CONFLICT", message);
  }
}
