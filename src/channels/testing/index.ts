/** Fake provider APIs for tests and benchmarks: real local servers that check requests like the real ones. */
export { type AcceptedMessage, FakeControl, type FakeMode, FakeModes } from "./fake-control.js";
export { FakeFcm, type FcmPush, startFakeFcm } from "./fake-fcm.js";
export { FakeGoogleOAuth, type IssuedToken, startFakeGoogleOAuth } from "./fake-google-oauth.js";
export { FakeHttpServer, type FakeReply, type FakeRequest } from "./fake-http-server.js";
export {
  FAKE_SMTP_AUTH,
  FAKE_WEBHOOK_SECRET,
  type FakeProviders,
  type FakeProvidersOptions,
  startFakeProviders,
} from "./fake-providers.js";
export {
  FAKE_SENDGRID_API_KEY,
  FakeSendGrid,
  type SendGridEmail,
  startFakeSendGrid,
} from "./fake-sendgrid.js";
export { FakeSheets, type SheetRow, startFakeSheets } from "./fake-sheets.js";
export { FakeSlack, type SlackPost, startFakeSlack } from "./fake-slack.js";
export { FakeSmtp, type SmtpMail, startFakeSmtp } from "./fake-smtp.js";
export {
  FAKE_TWILIO_ACCOUNT_SID,
  FAKE_TWILIO_AUTH_TOKEN,
  FakeTwilio,
  startFakeTwilio,
  type TwilioMessage,
} from "./fake-twilio.js";
export { FakeWebhook, startFakeWebhook, type WebhookCall } from "./fake-webhook.js";
export { testMessage } from "./test-message.js";
export { createTestServiceAccount, type TestServiceAccount } from "./test-service-account.js";
