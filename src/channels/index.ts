/** The delivery layer's channel providers: one interface, one file per provider. */
export {
  type FcmConfig,
  FcmConfigSchema,
  type GoogleSheetsConfig,
  GoogleSheetsConfigSchema,
  PROVIDER_TYPES,
  type ProviderBody,
  ProviderBodySchema,
  type ProviderConfig,
  type ProviderType,
  type SendGridConfig,
  SendGridConfigSchema,
  type SlackConfig,
  SlackConfigSchema,
  type SmtpConfig,
  SmtpConfigSchema,
  type TwilioConfig,
  TwilioConfigSchema,
  validateProviderBody,
  type WebhookConfig,
  WebhookConfigSchema,
} from "./config.js";
export { allowPrivateUrlsFromEnv, createProvider } from "./create-provider.js";
export { ProviderConfigError, UrlRefusedError } from "./errors.js";
export {
  DEFAULT_TIMEOUT_MS,
  type Provider,
  type ProviderMessage,
  type ProviderOptions,
  type SendOutcome,
} from "./provider.js";
export { keepSecrets, REDACTED, redactSecrets, secretFields } from "./secrets.js";
export { twilioSignature, verifyTwilioSignature } from "./twilio-signature.js";
export { type LookupAddresses, privateAddressReason, UrlGuard } from "./url-guard.js";
export { isWebhookAction } from "./webhook.js";
export {
  SIGNATURE_HEADER,
  signWebhookBody,
  TIMESTAMP_HEADER,
  verifyWebhookSignature,
} from "./webhook-signature.js";
