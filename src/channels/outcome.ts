import type { Channel } from "../core/model.js";
import type { ProviderMessage, SendOutcome } from "./provider.js";

/** A message the provider accepted. */
export function sent(providerMessageId?: string): SendOutcome {
  return providerMessageId ? { status: "sent", providerMessageId } : { status: "sent" };
}

/** A failure worth retrying, after `retryAfterMs` when the provider said so. */
export function retry(error: string, retryAfterMs?: number): SendOutcome {
  return retryAfterMs === undefined ? { status: "retry", error } : { status: "retry", error, retryAfterMs };
}

/** A failure that will not change on retry; `unsubscribe` when the address itself is dead. */
export function permanent(error: string, unsubscribe = false): SendOutcome {
  return unsubscribe ? { status: "permanent", error, unsubscribe: true } : { status: "permanent", error };
}

/**
 * Sends each message with `one`, concurrently. A message on a channel the provider does not
 * serve fails permanently; anything `one` throws becomes a retry outcome, so a bug in a provider
 * cannot lose the whole batch nor break the "never throws" contract.
 */
export async function sendEach(
  provider: { readonly id: string; readonly channels: readonly Channel[] },
  messages: readonly ProviderMessage[],
  one: (message: ProviderMessage) => Promise<SendOutcome>,
): Promise<SendOutcome[]> {
  return Promise.all(
    messages.map(async (message) => {
      if (!provider.channels.includes(message.channel)) {
        return permanent(`provider ${provider.id} does not deliver ${message.channel} messages`);
      }
      try {
        return await one(message);
      } catch (error) {
        return retry(`unexpected provider error: ${describeError(error)}`);
      }
    }),
  );
}

/** A short, single-line description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && !error.message.includes(code)
      ? `${code}: ${error.message}`
      : error.message;
  }
  return String(error);
}
