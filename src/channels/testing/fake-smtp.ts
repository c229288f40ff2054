import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { FakeControl, type FakeMode } from "./fake-control.js";

/** A message the fake SMTP server accepted. */
export interface SmtpMail {
  from: string;
  to: string[];
  /** Header values by lowercase name (unfolded, first occurrence). */
  headers: Record<string, string>;
  raw: string;
}

export interface FakeSmtpOptions {
  /** When set, clients must AUTH with these credentials (PLAIN or LOGIN). */
  auth?: { user: string; pass: string };
  /**
   * Offer STARTTLS with smtp-server's built-in self-signed certificate, which clients that check
   * certificates refuse; the names clients ask for (SNI) are recorded in `servernames`.
   */
  starttls?: boolean;
  /** Answers each message's DATA this many ms after receiving it (a slow server). */
  replyDelayMs?: number;
}

/** Reply texts for `permanent(code)`: where in the transaction real servers refuse, and why. */
const PERMANENT: Record<string, { at: "rcpt" | "data"; text: string }> = {
  "550": { at: "rcpt", text: "5.1.1 The email account that you tried to reach does not exist" },
  "551": { at: "rcpt", text: "5.1.6 User not local; please try another path" },
  "552": { at: "data", text: "5.2.2 The recipient's mailbox is full" },
  "553": { at: "rcpt", text: "5.1.3 Mailbox name not allowed" },
  "554": { at: "data", text: "5.7.1 Message rejected as spam" },
};

/**
 * An SMTP server (smtp-server package) on 127.0.0.1 and a free port: optional AUTH, rejects a
 * message without a Message-ID (as Gmail does), records accepted messages by their
 * X-Journeys-Idempotency-Key. Failure modes reply 451 (rate limit, server error) or the 5xx of
 * `permanent(code)` at RCPT or DATA; `hang` never answers the DATA.
 */
export class FakeSmtp extends FakeControl<SmtpMail> {
  private readonly server: SMTPServer;
  private readonly modes = new Map<string, FakeMode>();
  /** The TLS server names (SNI) clients asked for, in order. */
  readonly servernames: string[] = [];
  private address: AddressInfo | undefined;

  constructor(readonly options: FakeSmtpOptions = {}) {
    super();
    const { auth } = options;
    this.server = new SMTPServer({
      logger: false,
      // Plain SMTP by default: STARTTLS would need a certificate clients trust.
      hideSTARTTLS: options.starttls !== true,
      SNICallback: (servername, callback) => {
        this.servernames.push(servername);
        callback(null, undefined);
      },
      allowInsecureAuth: true,
      authOptional: auth === undefined,
      ...(auth === undefined ? { disabledCommands: ["AUTH"] } : {}),
      closeTimeout: 100,
      onAuth: (credentials, _session, callback) => {
        if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
          callback(null, { user: credentials.username });
        } else {
          callback(smtpError(535, "5.7.8 Username and Password not accepted"));
        }
      },
      onMailFrom: (_address, session, callback) => {
        this.modes.set(session.id, this.nextMode());
        callback();
      },
      onRcptTo: (_address, session, callback) => {
        const mode = this.modes.get(session.id);
        const refusal = mode?.kind === "permanent" ? PERMANENT[mode.reason] : undefined;
        if (mode?.kind === "permanent" && refusal?.at === "rcpt") {
          callback(smtpError(Number(mode.reason), refusal.text));
          return;
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const mode = this.modes.get(session.id) ?? { kind: "ok" };
          if (mode.kind === "hang") return;
          const reply = () => callback(this.finish(Buffer.concat(chunks).toString("utf8"), session, mode));
          if (options.replyDelayMs) setTimeout(reply, options.replyDelayMs);
          else reply();
        });
      },
    });
  }

  /** Host and port for an SMTP provider config. */
  get host(): string {
    return "127.0.0.1";
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.address = this.server.server.address() as AddressInfo;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private finish(raw: string, session: SMTPServerSession, mode: FakeMode): Error | null {
    const headers = parseHeaders(raw);
    if (!headers["message-id"]) {
      return smtpError(550, "5.7.1 Messages missing a valid Message-ID header are not accepted");
    }
    switch (mode.kind) {
      case "ok":
      case "hang": {
        const from = session.envelope.mailFrom;
        this.record(headers["x-journeys-idempotency-key"] ?? headers["message-id"] ?? "", {
          from: from === false ? "" : from.address,
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          headers,
          raw,
        });
        return null;
      }
      case "rateLimited":
        return smtpError(451, `4.7.1 Rate limit exceeded, try again in ${mode.retryAfterSec} seconds`);
      case "serverError":
        return smtpError(451, "4.3.0 Temporary server error, please try again later");
      case "permanent": {
        const code = Number(mode.reason);
        return smtpError(
          code >= 500 && code < 600 ? code : 554,
          PERMANENT[mode.reason]?.text ?? `5.0.0 ${mode.reason}`,
        );
      }
    }
  }
}

function smtpError(responseCode: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** Unfolded header fields of a raw message, by lowercase name (first occurrence wins). */
export function parseHeaders(raw: string): Record<string, string> {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** Starts a fake SMTP server. */
export function startFakeSmtp(options: FakeSmtpOptions = {}): Promise<FakeSmtp> {
  return new FakeSmtp(options).listen();
}
