import { randomBytes } from "node:crypto";
import type { FakeMode } from "./fake-control.js";
import { bearer, FakeHttpServer, type FakeReply, type FakeRequest, mediaType } from "./fake-http-server.js";

/** One personalization (one recipient's email) the fake SendGrid accepted. */
export interface SendGridEmail {
  messageId: string;
  to: string[];
  from: string;
  subject: string;
  content: { type: string; value: string }[];
  customArgs: Record<string, string>;
  headers: Record<string, string>;
}

export const FAKE_SENDGRID_API_KEY = "SG.fake-key.fake-secret";

const HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html";
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const MAX_BYTES = 30 * 1024 * 1024;

type FieldError = { field: string | null; message: string; help: string | null };

/**
 * SendGrid v3 Mail Send: `POST /v3/mail/send`, Bearer API key, JSON body checked field by field
 * as SendGrid does (errors listed as `{ errors: [{ field, message, help }] }`), `202` with an
 * `X-Message-Id` header on success; rate limits answer 429 with X-RateLimit-Reset.
 */
export class FakeSendGrid extends FakeHttpServer<SendGridEmail> {
  constructor(readonly apiKey: string = FAKE_SENDGRID_API_KEY) {
    super();
  }

  protected handle(request: FakeRequest, mode: Exclude<FakeMode, { kind: "hang" }>): FakeReply {
    if (bearer(request) !== this.apiKey) {
      return errors(401, [
        {
          field: null,
          message: "The provided authorization grant is invalid, expired, or revoked",
          help: null,
        },
      ]);
    }
    if (request.path !== "/v3/mail/send")
      return errors(404, [{ field: null, message: "not found", help: null }]);
    if (request.method !== "POST")
      return errors(405, [{ field: null, message: "method not allowed", help: null }]);
    if (Buffer.byteLength(request.body) > MAX_BYTES) {
      return errors(413, [
        {
          field: null,
          message: "The JSON payload you have included in your request is too large.",
          help: null,
        },
      ]);
    }
    if (mediaType(request) !== "application/json") {
      return errors(400, [{ field: null, message: "Content-Type should be application/json.", help: null }]);
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body);
    } catch {
      return errors(400, [{ field: null, message: "Bad Request", help: null }]);
    }
    const problems = validate(body);
    if (problems.length > 0) return errors(400, problems);
    switch (mode.kind) {
      case "ok":
        return this.accept(body as MailSend);
      case "rateLimited":
        return {
          status: 429,
          headers: {
            "x-ratelimit-limit": "600",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + mode.retryAfterSec),
          },
          body: { errors: [{ field: null, message: "too many requests" }] },
        };
      case "serverError":
        return errors(500, [{ field: null, message: "internal server error", help: null }]);
      case "permanent":
        return permanentReply(mode.reason);
    }
  }

  private accept(mail: MailSend): FakeReply {
    const messageId = randomBytes(16).toString("base64url").slice(0, 22);
    for (const personalization of mail.personalizations) {
      const customArgs = { ...(mail.custom_args ?? {}), ...(personalization.custom_args ?? {}) };
      this.record(customArgs.idempotencyKey ?? "", {
        messageId,
        to: personalization.to.map((address) => address.email),
        from: mail.from.email,
        subject: personalization.subject ?? mail.subject ?? "",
        content: mail.content ?? [],
        customArgs,
        headers: { ...(mail.headers ?? {}), ...(personalization.headers ?? {}) },
      });
    }
    return { status: 202, headers: { "x-message-id": messageId } };
  }
}

interface MailSend {
  personalizations: {
    to: { email: string }[];
    subject?: string;
    custom_args?: Record<string, string>;
    headers?: Record<string, string>;
  }[];
  from: { email: string };
  subject?: string;
  content?: { type: string; value: string }[];
  custom_args?: Record<string, string>;
  headers?: Record<string, string>;
}

function validate(body: unknown): FieldError[] {
  const problems: FieldError[] = [];
  const add = (field: string | null, message: string, anchor = field ?? "") =>
    problems.push({ field, message, help: `${HELP}#message.${anchor}` });
  const mail = record(body);
  if (!mail) return [{ field: null, message: "Bad Request", help: null }];
  const personalizations = mail.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    add(
      "personalizations",
      "The personalizations field is required and must have at least one personalization.",
    );
  } else if (personalizations.length > 1000) {
    add("personalizations", "The personalizations field must not have more than 1000 personalizations.");
  } else {
    personalizations.forEach((item, i) => {
      const p = record(item);
      const to = p?.to;
      if (!Array.isArray(to) || to.length === 0) {
        add(
          `personalizations.${i}.to`,
          "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
          "personalizations.to",
        );
        return;
      }
      to.forEach((address, j) => {
        const email = record(address)?.email;
        if (typeof email !== "string" || !EMAIL.test(email)) {
          add(
            `personalizations.${i}.to.${j}.email`,
            "Does not contain a valid address.",
            "personalizations.to",
          );
        }
      });
      const args = p?.custom_args;
      if (
        args !== undefined &&
        (!record(args) || Object.values(record(args) ?? {}).some((v) => typeof v !== "string"))
      ) {
        add(
          `personalizations.${i}.custom_args`,
          "Custom args must be an object of string values.",
          "custom_args",
        );
      }
    });
  }
  const from = record(mail.from);
  if (!from || typeof from.email !== "string") {
    add(
      "from.email",
      "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
      "from",
    );
  } else if (!EMAIL.test(from.email)) {
    add("from.email", "The from email does not contain a valid address.", "from");
  }
  const allHaveSubject =
    Array.isArray(personalizations) &&
    personalizations.length > 0 &&
    personalizations.every((p) => typeof record(p)?.subject === "string");
  if (
    mail.template_id === undefined &&
    !allHaveSubject &&
    (typeof mail.subject !== "string" || mail.subject === "")
  ) {
    add(
      "subject",
      "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
    );
  }
  const content = mail.content;
  if (mail.template_id === undefined && (!Array.isArray(content) || content.length === 0)) {
    add(
      "content",
      "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.",
    );
  } else if (Array.isArray(content)) {
    const types = content.map((block) => record(block)?.type);
    content.forEach((block, i) => {
      const b = record(block);
      if (typeof b?.type !== "string" || b.type === "" || /[;\r\n]/.test(b.type)) {
        add(
          `content.${i}.type`,
          "The content type cannot contain ';', or CRLF characters, and must be at least 1 character.",
          "content.type",
        );
      }
      if (typeof b?.value !== "string" || b.value === "") {
        add(
          `content.${i}.value`,
          "The content value must be a string at least one character in length.",
          "content.value",
        );
      }
    });
    const plain = types.indexOf("text/plain");
    const html = types.indexOf("text/html");
    if (plain > 0 || (html >= 0 && plain >= 0 && html < plain) || (plain < 0 && html > 0)) {
      add(
        "content",
        "If present, text/plain and text/html may only be provided in this order: text/plain, text/html, and must be the first content types.",
      );
    }
  }
  return problems;
}

function permanentReply(reason: string): FakeReply {
  switch (reason) {
    case "401":
      return errors(401, [
        {
          field: null,
          message: "The provided authorization grant is invalid, expired, or revoked",
          help: null,
        },
      ]);
    case "403":
      return errors(403, [{ field: null, message: "access forbidden", help: null }]);
    case "413":
      return errors(413, [
        {
          field: null,
          message: "The JSON payload you have included in your request is too large.",
          help: null,
        },
      ]);
    case "invalid_email":
      return errors(400, [
        {
          field: "personalizations.0.to.0.email",
          message: "Does not contain a valid address.",
          help: `${HELP}#message.personalizations.to`,
        },
      ]);
    default:
      return errors(Number(reason) >= 400 && Number(reason) < 500 ? Number(reason) : 400, [
        { field: null, message: reason, help: null },
      ]);
  }
}

function errors(status: number, list: FieldError[]): FakeReply {
  return { status, body: { errors: list } };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Starts a fake SendGrid account. */
export function startFakeSendGrid(apiKey: string = FAKE_SENDGRID_API_KEY): Promise<FakeSendGrid> {
  return new FakeSendGrid(apiKey).listen();
}
