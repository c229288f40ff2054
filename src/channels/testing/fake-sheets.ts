import type { FakeMode } from "./fake-control.js";
import { type FakeGoogleOAuth, googleError } from "./fake-google-oauth.js";
import { FakeHttpServer, type FakeReply, type FakeRequest, mediaType } from "./fake-http-server.js";

/** One appended row, as the fake Sheets API stored it. */
export interface SheetRow {
  sheet: string;
  /** 1-based row number. */
  row: number;
  values: (string | number | boolean | null)[];
}

export const SHEETS_SCOPE_URL = "https://www.googleapis.com/auth/spreadsheets";

type Cell = string | number | boolean | null;

/**
 * Google Sheets `spreadsheets.values.append` for one spreadsheet: `POST /v4/spreadsheets/{id}/
 * values/{range}:append?valueInputOption=...`, Bearer token with the spreadsheets scope, the
 * range must name an existing sheet, `values` must be a list of rows of scalars. Rows are kept
 * per sheet; each accepted row is recorded under its first cell (the idempotency key).
 */
export class FakeSheets extends FakeHttpServer<SheetRow> {
  private readonly sheets = new Map<string, Cell[][]>();

  constructor(
    private readonly oauth: FakeGoogleOAuth,
    readonly spreadsheetId: string,
    sheetNames: readonly string[] = ["Sheet1"],
  ) {
    super();
    for (const name of sheetNames) this.sheets.set(name, []);
  }

  /** The rows of a sheet. */
  rows(sheet = "Sheet1"): readonly Cell[][] {
    return this.sheets.get(sheet) ?? [];
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    const match = /^\/v4\/spreadsheets\/([^/]+)\/values\/([^/]+):append$/.exec(request.path);
    if (!match || request.method !== "POST")
      return googleError(404, "NOT_FOUND", "Requested entity was not found.");
    const denied = this.oauth.authorize(request, SHEETS_SCOPE_URL);
    if (denied) return denied;
    if (match[1] !== this.spreadsheetId)
      return googleError(404, "NOT_FOUND", "Requested entity was not found.");
    const range = decodeURIComponent(match[2] ?? "");
    const option = request.query.get("valueInputOption");
    if (option === null) return invalid("'valueInputOption' is required but not specified");
    if (option !== "RAW" && option !== "USER_ENTERED") {
      return invalid(
        `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "${option}"`,
      );
    }
    const insert = request.query.get("insertDataOption");
    if (insert !== null && insert !== "INSERT_ROWS" && insert !== "OVERWRITE") {
      return invalid(
        `Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4.InsertDataOption), "${insert}"`,
      );
    }
    const sheet = sheetOf(range);
    if (sheet === undefined || !this.sheets.has(sheet)) return invalid(`Unable to parse range: ${range}`);
    if (mediaType(request) !== "application/json")
      return invalid("Invalid JSON payload received. Expected a JSON object.");
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return invalid("Invalid JSON payload received. Unexpected token.");
    }
    const values = checkValueRange(body);
    if (typeof values === "string") return invalid(values);
    switch (mode.kind) {
      case "ok":
        return this.append(sheet, values);
      case "rateLimited": {
        const reply = googleError(
          429,
          "RESOURCE_EXHAUSTED",
          "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'.",
        );
        return { ...reply, headers: { "retry-after": String(mode.retryAfterSec) } };
      }
      case "serverError":
        return googleError(503, "UNAVAILABLE", "The service is currently unavailable.");
      case "permanent":
        if (mode.reason === "PERMISSION_DENIED")
          return googleError(403, "PERMISSION_DENIED", "The caller does not have permission");
        if (mode.reason === "NOT_FOUND")
          return googleError(404, "NOT_FOUND", "Requested entity was not found.");
        return invalid(mode.reason);
    }
  }

  private append(sheet: string, values: Cell[][]): FakeReply {
    const rows = this.sheets.get(sheet) ?? [];
    const first = rows.length + 1;
    const tableRange =
      rows.length > 0 ? `${quote(sheet)}!A1:${column(width(rows))}${rows.length}` : undefined;
    values.forEach((value, i) => {
      rows.push(value);
      this.record(String(value[0] ?? ""), { sheet, row: first + i, values: value });
    });
    const columns = width(values);
    const last = first + values.length - 1;
    return {
      status: 200,
      body: {
        spreadsheetId: this.spreadsheetId,
        ...(tableRange ? { tableRange } : {}),
        updates: {
          spreadsheetId: this.spreadsheetId,
          updatedRange: `${quote(sheet)}!A${first}:${column(columns)}${last}`,
          updatedRows: values.length,
          updatedColumns: columns,
          updatedCells: values.reduce((sum, row) => sum + row.length, 0),
        },
      },
    };
  }
}

function checkValueRange(body: unknown): Cell[][] | string {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return "Invalid JSON payload received. Expected a JSON object.";
  const known = new Set(["range", "majorDimension", "values"]);
  for (const key of Object.keys(body)) {
    if (!known.has(key)) return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  }
  const { majorDimension, values } = body as { majorDimension?: unknown; values?: unknown };
  if (majorDimension !== undefined && majorDimension !== "ROWS" && majorDimension !== "COLUMNS") {
    return `Invalid value at 'data.major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), "${String(majorDimension)}"`;
  }
  if (!Array.isArray(values)) return "Invalid value at 'data.values'";
  for (const [i, row] of values.entries()) {
    if (!Array.isArray(row))
      return `Invalid value at 'data.values[${i}]' (type.googleapis.com/google.protobuf.ListValue)`;
    for (const [j, cell] of row.entries()) {
      if (cell !== null && typeof cell === "object") {
        return `Invalid values[${i}][${j}]: struct_value {\n}`;
      }
    }
  }
  return values as Cell[][];
}

/** The sheet a range names (`Sheet1`, `Sheet1!A:C`, `'My sheet'!A1`). */
function sheetOf(range: string): string | undefined {
  const name = range.includes("!") ? range.slice(0, range.lastIndexOf("!")) : range;
  if (/^'.*'$/.test(name)) return name.slice(1, -1).replace(/''/g, "'");
  return /^[^'!:]+$/.test(name) ? name : undefined;
}

function quote(sheet: string): string {
  return /^[A-Za-z0-9_]+$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
}

function width(rows: readonly Cell[][]): number {
  return Math.max(1, ...rows.map((row) => row.length));
}

/** Column letters of a 1-based column number (1 -> A, 27 -> AA). */
function column(n: number): string {
  let letters = "";
  for (let rest = n; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  }
  return letters;
}

function invalid(message: string): FakeReply {
  return googleError(400, "INVALID_ARGUMENT", message);
}

/** Starts a fake spreadsheet whose tokens come from `oauth`. */
export function startFakeSheets(
  oauth: FakeGoogleOAuth,
  spreadsheetId: string,
  sheetNames?: readonly string[],
): Promise<FakeSheets> {
  return new FakeSheets(oauth, spreadsheetId, sheetNames).listen();
}
