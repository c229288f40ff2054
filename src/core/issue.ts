/** A validation problem: where (a JSON path such as `nodes.push.edges[1].when.after`) and what. */
export interface Issue {
  path: string;
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Appends a key or index to a JSON path, quoting keys that are not plain identifiers. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (IDENTIFIER.test(key)) return base === "" ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Raised when a definition that should have been validated is not; carries every issue. */
export class ValidationError extends Error {
  readonly code = "INVALID_DEFINITION";
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; "));
    this.name = "ValidationError";
  }
}
