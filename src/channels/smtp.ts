import type { LookupFunction } from "node:net";
import { createTransport, type NodemailerError } from "nodemailer";
import type { Channel } from "../core/model.js";
import type { SmtpConfig } from "./config.js";
import { textField } from "./content.js";
import type { ProviderEnvironment } from "./environment.js";
import { UrlRefusedError } from "./errors.js";
import { describeError, permanent, retry, sendEach, sent } from "./outcome.js";
import type { Provider, ProviderMessage, SendOutcome } from "./provider.js";
import { pinnedSmtpSocket } from "./smtp-socket.js";

/**
 * Email over SMTP through a pooled nodemailer transport. SMTP has no idempotency mechanism;
 * the key becomes the `Message-ID` (`<key@journeys>`), which mail systems use to drop
 * duplicates, and an `X-Journeys-Idempotency-Key` header that bounces carry back.
 *
 * The host is checked by the URL guard before each send and, when private targets are refused,
 * every pooled connection is opened to an address checked as it connects (smtp-socket.ts).
 *
 * Replies: 5xx permanent (550/551/553 mean the mailbox does not exist: hard bounce), 4xx and
 * connection problems retry. Content: `subject`, `text` and/or `html`, optional `replyTo`.
 */

/** Mailbox unavailable, not local, name not allowed: the address is dead. */
const HARD_BOUNCE = new Set([550, 551, 553]);

type Transporter = ReturnType<typeof createPooledTransport>;

export class SmtpProvider implements Provider {
  readonly type = "smtp";
  readonly maxBatch = 1;
  /** One message per pooled connection at a time (see Provider.maxConcurrency). */
  readonly maxConcurrency: number;
  readonly id: string;
  readonly channels: readonly Channel[];
  private readonly transporter: Transporter;

  constructor(
    private readonly config: SmtpConfig,
    private readonly env: ProviderEnvironment,
  ) {
    this.id = env.id;
    this.channels = env.channels;
    this.maxConcurrency = config.maxConnections ?? 5;
    this.transporter = createPooledTransport(config, env.timeoutMs, env.socketLookup);
  }

  send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    return sendEach(this, messages, (message) => this.one(message, signal));
  }

  async close(): Promise<void> {
    this.transporter.close();
  }

  private async one(message: ProviderMessage, signal: AbortSignal): Promise<SendOutcome> {
    const to = message.address?.trim();
    if (!to) return permanent(`user ${message.userId} has no email address`);
    const { payload } = message;
    const subject = textField(payload, "subject");
    const text = textField(payload, "text");
    const html = textField(payload, "html");
    if (subject === undefined) return permanent("email has no subject");
    if (text === undefined && html === undefined) return permanent("email has neither text nor html");
    try {
      await this.env.guard.checkHost(this.config.host);
    } catch (error) {
      if (error instanceof UrlRefusedError) return permanent(error.message);
      return retry(`cannot resolve ${this.config.host}: ${describeError(error)}`);
    }
    const timeout = AbortSignal.timeout(this.env.timeoutMs);
    const replyTo = textField(payload, "replyTo");
    try {
      const info = await this.transporter.sendMail({
        from: this.config.from,
        to,
        subject,
        ...(text !== undefined ? { text } : {}),
        ...(html !== undefined ? { html } : {}),
        ...(replyTo !== undefined ? { replyTo } : {}),
        messageId: messageIdOf(message.idempotencyKey),
        headers: { "X-Journeys-Idempotency-Key": message.idempotencyKey },
        signal: AbortSignal.any([signal, timeout]),
      });
      return sent(info.messageId);
    } catch (error) {
      if (timeout.aborted) return retry(`no answer from ${this.config.host} within ${this.env.timeoutMs} ms`);
      if (signal.aborted) return retry(`send to ${this.config.host} aborted`);
      if (error instanceof UrlRefusedError) return permanent(error.message);
      return classify(error as NodemailerError);
    }
  }
}

/** The deterministic Message-ID of a delivery. */
export function messageIdOf(idempotencyKey: string): string {
  const local = /^[A-Za-z0-9._-]+$/.test(idempotencyKey)
    ? idempotencyKey
    : Buffer.from(idempotencyKey).toString("base64url");
  return `<${local}@journeys>`;
}

function classify(error: NodemailerError): SendOutcome {
  const code = error.responseCode;
  const detail = `SMTP ${error.response ?? describeError(error)}`;
  if (code !== undefined) {
    if (code >= 500 && code !== 503) return permanent(detail, HARD_BOUNCE.has(code));
    return retry(detail);
  }
  // No SMTP reply: bad credentials or configuration will not fix themselves; the network might.
  if (
    error.code === "EAUTH" ||
    error.code === "ENOAUTH" ||
    error.code === "ECONFIG" ||
    error.code === "EENVELOPE"
  ) {
    return permanent(detail);
  }
  return retry(detail);
}

function createPooledTransport(
  config: SmtpConfig,
  timeoutMs: number,
  socketLookup: LookupFunction | undefined,
) {
  return createTransport({
    pool: true,
    host: config.host,
    port: config.port,
    ...(socketLookup !== undefined
      ? { getSocket: pinnedSmtpSocket(config.host, config.port, socketLookup, timeoutMs) }
      : {}),
    secure: config.secure ?? config.port === 465,
    ...(config.requireTLS !== undefined ? { requireTLS: config.requireTLS } : {}),
    ...(config.auth !== undefined ? { auth: { user: config.auth.user, pass: config.auth.pass } } : {}),
    maxConnections: config.maxConnections ?? 5,
    // A hung server must free its pooled connection as soon as the send gives up on it.
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Rendered content must never make the server read local files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}
