import { createHash } from "node:crypto";
import type { Channel, Json } from "../core/model.js";
import type { GoogleSheetsConfig } from "./config.js";
import { asRecord } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { parseGoogleError } from "./google-error.js";
import { GoogleTokenSource, type TokenResult } from "./google-token.js";
import { describeError, permanent, retry, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { type HttpReply, type HttpResult, parseJson, statusOutcome } from "./provider-http.js";
import { retryDelay } from "./retry-after.js";
import { GOOGLE_TOKEN_URL } from "./service-account.js";

/**
 * Google Sheets `spreadsheets.values.append`: each message appends one row, `payload.row` (a
 * list of rendered cells) preceded by the idempotency key. Up to `maxBatch` messages share one
 * call. Sheets has no idempotency mechanism, so a retried append can add a row twice; the key
 * column lets whoever reads the sheet drop duplicates (for example `=UNIQUE(...)` on column A).
 * An `Idempotency-Key` header is sent anyway (for one message its key, for several a hash of them).
 */

export const SHEETS_BASE_URL = "https://sheets.googleapis.com";
export const SHEETS_SCOPE = "https://www.googleapis.com/auth/spreadsheets";

export class GoogleSheetsProvider implements Provider {
  readonly type = "google-sheets";
  readonly maxBatch = 500;
  readonly id: string;
  readonly channels: readonly Channel[];
  private readonly endpoint: string;
  private readonly tokens: GoogleTokenSource;

  constructor(
    private readonly config: GoogleSheetsConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
    const base = (config.baseUrl ?? SHEETS_BASE_URL).replace(/\/+$/, "");
    const query = new URLSearchParams({
      valueInputOption: config.valueInputOption,
      insertDataOption: "INSERT_ROWS",
    });
    this.endpoint = `${base}/v4/spreadsheets/${config.spreadsheetId}/values/${encodeURIComponent(config.range)}:append?${query}`;
    this.tokens = new GoogleTokenSource({
      account: config,
      scope: SHEETS_SCOPE,
      tokenUrl: config.tokenUrl ?? config.token_uri ?? GOOGLE_TOKEN_URL,
      http: env.http,
      now: env.now,
    });
  }

  async send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = [];
    const rows: Json[][] = [];
    const positions: number[] = [];
    messages.forEach((message, index) => {
      const row = this.row(message);
      if (typeof row === "string") outcomes[index] = permanent(row);
      else {
        rows.push(row);
        positions.push(index);
      }
    });
    if (rows.length > 0) {
      let appended: SendOutcome[];
      try {
        appended = await this.append(
          rows,
          positions.map((index) => messages[index]?.idempotencyKey ?? ""),
          signal,
        );
      } catch (error) {
        appended = rows.map(() => retry(`unexpected provider error: ${describeError(error)}`));
      }
      positions.forEach((index, i) => {
        outcomes[index] = appended[i] ?? retry("no outcome");
      });
    }
    return outcomes;
  }

  async close(): Promise<void> {}

  /** The row of one message, key first, or why it cannot be appended. */
  row(message: ProviderMessage): Json[] | string {
    if (!this.channels.includes(message.channel)) {
      return `provider ${this.id} does not deliver ${message.channel} messages`;
    }
    const cells = message.payload.row;
    if (!Array.isArray(cells)) return "google-sheets content needs row: a list of cells";
    return [message.idempotencyKey, ...cells.map((cell) => this.cell(cell))];
  }

  private cell(value: Json): Json {
    if (value === null) return "";
    if (typeof value === "object") return JSON.stringify(value);
    // With USER_ENTERED a rendered "=..." would run as a formula (data from users must not): keep it text.
    if (
      typeof value === "string" &&
      this.config.valueInputOption === "USER_ENTERED" &&
      value.startsWith("=")
    ) {
      return `'${value}`;
    }
    return value;
  }

  private async append(rows: Json[][], keys: string[], signal: AbortSignal): Promise<SendOutcome[]> {
    const idempotencyKey =
      keys.length === 1
        ? (keys[0] ?? "")
        : `batch-${createHash("sha256").update(keys.join("\n")).digest("hex")}`;
    const body = JSON.stringify({ majorDimension: "ROWS", values: rows });
    let result: HttpResult | undefined;
    let access: TokenResult | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      access = await this.tokens.token();
      if (!access.ok) return rows.map(() => (access as { outcome: SendOutcome }).outcome);
      result = await this.env.http.call(
        {
          url: this.endpoint,
          headers: {
            authorization: `Bearer ${access.token}`,
            "content-type": "application/json; charset=utf-8",
            "idempotency-key": idempotencyKey,
          },
          body,
        },
        signal,
      );
      // A 401 usually means the cached token was revoked or expired early: refresh once.
      if (!result.ok || result.reply.status !== 401) break;
      this.tokens.invalidate(access.token);
    }
    if (!result) return rows.map(() => retry("no call made"));
    if (!result.ok) return rows.map(() => result.outcome);
    const outcome = this.classify(result.reply);
    if (outcome.status !== "sent") return rows.map(() => outcome);
    return rowRanges(result.reply.text, rows.length).map((range) => sent(range));
  }

  private classify(reply: HttpReply): SendOutcome {
    if (reply.status === 200) return sent();
    const error = parseGoogleError(reply.text);
    const detail = `Sheets ${reply.status} ${error.status ?? ""}: ${error.message}`;
    if (reply.status === 429 || reply.status >= 500 || reply.status === 401) {
      return retry(detail, retryDelay(reply.headers, this.env.now()));
    }
    return statusOutcome(
      { ...reply, text: `${error.status ?? ""} ${error.message}` },
      this.env.now(),
      "Sheets",
    );
  }
}

/**
 * The A1 range of each appended row, from the reply's `updates.updatedRange` (`Sheet1!A5:D7`),
 * so every delivery records where its row landed.
 */
export function rowRanges(replyText: string, count: number): (string | undefined)[] {
  const range = asRecord(asRecord(parseJson(replyText))?.updates)?.updatedRange;
  const match = typeof range === "string" ? /^(.*!)?([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(range) : null;
  if (!match) return Array.from({ length: count }, () => (typeof range === "string" ? range : undefined));
  const [, sheet = "", from = "", first = "", to = from] = match;
  return Array.from({ length: count }, (_, i) => {
    const row = Number(first) + i;
    return `${sheet}${from}${row}:${to}${row}`;
  });
}
