import type { ProviderConfig } from "../config.js";
import { type FakeFcm, startFakeFcm } from "./fake-fcm.js";
import { type FakeGoogleOAuth, startFakeGoogleOAuth } from "./fake-google-oauth.js";
import { type FakeSendGrid, startFakeSendGrid } from "./fake-sendgrid.js";
import { type FakeSheets, startFakeSheets } from "./fake-sheets.js";
import { type FakeSlack, startFakeSlack } from "./fake-slack.js";
import { type FakeSmtp, startFakeSmtp } from "./fake-smtp.js";
import { type FakeTwilio, startFakeTwilio } from "./fake-twilio.js";
import { type FakeWebhook, startFakeWebhook } from "./fake-webhook.js";
import { createTestServiceAccount, type TestServiceAccount } from "./test-service-account.js";

/** Every fake provider, started, with provider configs pointing at them. */
export interface FakeProviders {
  webhook: FakeWebhook;
  slack: FakeSlack;
  twilio: FakeTwilio;
  sendgrid: FakeSendGrid;
  smtp: FakeSmtp;
  oauth: FakeGoogleOAuth;
  fcm: FakeFcm;
  sheets: FakeSheets;
  serviceAccount: TestServiceAccount;
  /** Ready configs for createProvider (ids: webhook, slack, twilio, sendgrid, smtp, fcm, sheets). */
  configs: {
    webhook: ProviderConfig;
    slack: ProviderConfig;
    twilio: ProviderConfig;
    sendgrid: ProviderConfig;
    smtp: ProviderConfig;
    fcm: ProviderConfig;
    sheets: ProviderConfig;
  };
  /** Stops every fake. */
  close(): Promise<void>;
}

export interface FakeProvidersOptions {
  /** Secret the fake webhook receiver requires signatures with (default: one is set). */
  webhookSecret?: string;
  projectId?: string;
  spreadsheetId?: string;
}

export const FAKE_WEBHOOK_SECRET = "fake-webhook-secret-0123456789";
export const FAKE_SMTP_AUTH = { user: "journeys", pass: "fake-smtp-password" } as const;

/**
 * Starts every fake provider on 127.0.0.1 (each on its own free port), for tests and benchmarks.
 * Providers built from `configs` need `allowPrivateUrls: true`.
 */
export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const projectId = options.projectId ?? "journeys-test";
  const spreadsheetId = options.spreadsheetId ?? "1FakeSpreadsheetId_0123456789";
  const webhookSecret = options.webhookSecret ?? FAKE_WEBHOOK_SECRET;
  const oauth = await startFakeGoogleOAuth();
  const serviceAccount = createTestServiceAccount({ projectId, tokenUri: oauth.tokenUrl });
  oauth.register(serviceAccount.account.client_email, serviceAccount.publicKey);
  const [webhook, slack, twilio, sendgrid, smtp, fcm, sheets] = await Promise.all([
    startFakeWebhook({ secret: webhookSecret }),
    startFakeSlack(),
    startFakeTwilio(),
    startFakeSendGrid(),
    startFakeSmtp({ auth: { ...FAKE_SMTP_AUTH } }),
    startFakeFcm(oauth, projectId),
    startFakeSheets(oauth, spreadsheetId),
  ]);
  const account = serviceAccount.account;
  const configs: FakeProviders["configs"] = {
    webhook: {
      id: "webhook",
      type: "webhook",
      config: { url: `${webhook.url}/hooks/journeys`, secret: webhookSecret },
    },
    slack: { id: "slack", type: "slack", config: { url: slack.hookUrl() } },
    twilio: {
      id: "twilio",
      type: "twilio",
      config: {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        from: "+15005550006",
        whatsappFrom: "whatsapp:+14155238886",
        baseUrl: twilio.url,
      },
    },
    sendgrid: {
      id: "sendgrid",
      type: "sendgrid",
      config: {
        apiKey: sendgrid.apiKey,
        from: { email: "journeys@example.com", name: "Journeys" },
        baseUrl: sendgrid.url,
      },
    },
    smtp: {
      id: "smtp",
      type: "smtp",
      config: {
        host: smtp.host,
        port: smtp.port,
        secure: false,
        auth: { ...FAKE_SMTP_AUTH },
        from: "Journeys <journeys@example.com>",
      },
    },
    fcm: { id: "fcm", type: "fcm", config: { ...account, baseUrl: fcm.url, tokenUrl: oauth.tokenUrl } },
    sheets: {
      id: "sheets",
      type: "google-sheets",
      config: {
        ...account,
        spreadsheetId,
        range: "Sheet1",
        valueInputOption: "USER_ENTERED",
        baseUrl: sheets.url,
        tokenUrl: oauth.tokenUrl,
      },
    },
  };
  return {
    webhook,
    slack,
    twilio,
    sendgrid,
    smtp,
    oauth,
    fcm,
    sheets,
    serviceAccount,
    configs,
    async close() {
      await Promise.all(
        [webhook, slack, twilio, sendgrid, smtp, fcm, sheets, oauth].map((fake) => fake.close()),
      );
    },
  };
}
