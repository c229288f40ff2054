import { CHANNELS, type Channel } from "../core/model.js";
import { type ProviderConfig, type ProviderType, validateProviderBody } from "./config.js";
import type { ProviderEnvironment } from "./environment.js";
import { ProviderConfigError } from "./errors.js";
import { FcmProvider } from "./fcm.js";
import { GoogleSheetsProvider } from "./google-sheets.js";
import { guardedLookup, providerAgent } from "./pinned-agent.js";
import { DEFAULT_TIMEOUT_MS, type Provider, type ProviderOptions } from "./provider.js";
import { ProviderHttp } from "./provider-http.js";
import { SendGridProvider } from "./sendgrid.js";
import { SlackProvider } from "./slack.js";
import { SmtpProvider } from "./smtp.js";
import { TwilioProvider } from "./twilio.js";
import { UrlGuard } from "./url-guard.js";
import { WebhookProvider } from "./webhook.js";

/** Channels a provider serves when its config names none. */
const DEFAULT_CHANNELS: { readonly [type in ProviderType]: readonly Channel[] } = {
  webhook: CHANNELS,
  slack: ["slack"],
  twilio: ["sms", "whatsapp"],
  sendgrid: ["email"],
  smtp: ["email"],
  fcm: ["push"],
  "google-sheets": CHANNELS,
};

/**
 * Builds the provider a stored configuration describes. The configuration is validated again
 * (stored documents may predate a schema change); an invalid one throws ProviderConfigError.
 */
export function createProvider(config: ProviderConfig, options: ProviderOptions): Provider {
  const { id, ...body } = config;
  const checked = validateProviderBody(body);
  if (!checked.ok) throw new ProviderConfigError(id, checked.issues);
  const spec = checked.value;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const guard = new UrlGuard({
    allowPrivateUrls: options.allowPrivateUrls,
    now: options.now,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const http = new ProviderHttp({
    // Private targets allowed: nothing to pin. Otherwise connections are checked as they open.
    dispatcher: options.dispatcher ?? providerAgent(options.allowPrivateUrls, options.lookup),
    guard,
    timeoutMs,
    now: options.now,
  });
  const env: ProviderEnvironment = {
    id,
    channels: spec.channel !== undefined ? [spec.channel] : DEFAULT_CHANNELS[spec.type],
    http,
    guard,
    ...(options.allowPrivateUrls ? {} : { socketLookup: guardedLookup(options.lookup) }),
    now: options.now,
    timeoutMs,
  };
  switch (spec.type) {
    case "webhook":
      return new WebhookProvider(spec.config, env);
    case "slack":
      return new SlackProvider(spec.config, env);
    case "twilio":
      return new TwilioProvider(spec.config, env);
    case "sendgrid":
      return new SendGridProvider(spec.config, env);
    case "smtp":
      return new SmtpProvider(spec.config, env);
    case "fcm":
      return new FcmProvider(spec.config, env);
    case "google-sheets":
      return new GoogleSheetsProvider(spec.config, env);
    default: {
      const never: never = spec;
      throw new TypeError(`unknown provider type ${JSON.stringify(never)}`);
    }
  }
}

/** Whether the environment allows private targets (JOURNEYS_ALLOW_PRIVATE_URLS=1). */
export function allowPrivateUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.JOURNEYS_ALLOW_PRIVATE_URLS === "1" || env.JOURNEYS_ALLOW_PRIVATE_URLS === "true";
}
