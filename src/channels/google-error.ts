import { asRecord } from "./content.js";
import { excerpt, parseJson } from "./provider-http.js";

/**
 * The error document of Google APIs (google.rpc.Status as JSON):
 * `{ error: { code, message, status, details: [{ "@type": ".../FcmError", errorCode },
 * { "@type": ".../google.rpc.BadRequest", fieldViolations: [{ field, description }] }] } }`.
 */
export interface GoogleError {
  /** Canonical status such as `INVALID_ARGUMENT`, `UNAUTHENTICATED`, `RESOURCE_EXHAUSTED`. */
  status?: string;
  message: string;
  /** FCM's own code from FcmError details: `UNREGISTERED`, `SENDER_ID_MISMATCH`, `QUOTA_EXCEEDED`... */
  errorCode?: string;
  /** Fields named by BadRequest details, such as `message.token`. */
  fields: string[];
}

/** Reads a Google API error body; falls back to the raw text as the message. */
export function parseGoogleError(text: string): GoogleError {
  const error = asRecord(asRecord(parseJson(text))?.error);
  if (!error) return { message: excerpt(text, 200), fields: [] };
  const result: GoogleError = {
    message: typeof error.message === "string" ? error.message : excerpt(text, 200),
    fields: [],
  };
  if (typeof error.status === "string") result.status = error.status;
  for (const item of Array.isArray(error.details) ? error.details : []) {
    const detail = asRecord(item);
    if (typeof detail?.errorCode === "string") result.errorCode = detail.errorCode;
    for (const violation of Array.isArray(detail?.fieldViolations) ? detail.fieldViolations : []) {
      const field = asRecord(violation)?.field;
      if (typeof field === "string") result.fields.push(field);
    }
  }
  return result;
}
