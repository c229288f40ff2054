/** The delivery layer's channel providers: one interface, one file per provider. */
export {
  FcmConfigSchema,
  GoogleSheetsConfigSchema,
  PROVIDER_TYPES,
  type ProviderBody,
  ProviderBodySchema,
  type ProviderConfig,
  type ProviderType,
  SendGridConfigSchema,
  SlackConfigSchema,
  SmtpConfigSchema,
  TwilioConfigSchema,
  validateProviderBody,
  WebhookConfigSchema,
} from "./config.js";
export { allowPrivateUrlsFromEnv, createProvider } from "./create-provider.js";
export { ProviderConfigError, UrlRefusedError } from "./errors.js";
export type { Provider, ProviderMessage, ProviderOptions, SendOutcome } from "./provider.js";
export { keepSecrets, REDACTED, redactSecrets, secretFields } from "./secrets.js";
export { twilioSignature, verifyTwilioSignature } from "./twilio-signature.js";
export { privateAddressReason, UrlGuard } from "./url-guard.js";
export {
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from "./webhook-signature.js";
