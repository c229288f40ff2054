import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { validateProviderBody } from "./config.js";
import { createProvider } from "./create-provider.js";
import { ProviderConfigError } from "./errors.js";
import { keepSecrets, REDACTED, redactSecrets, secretFields } from "./secrets.js";
import { createTestServiceAccount } from "./testing/test-service-account.js";

const SID = `AC${"a".repeat(32)}`;

describe("provider config", () => {
  it("accepts a Twilio body and restricts it to the channel given", () => {
    const result = validateProviderBody({
      type: "twilio",
      channel: "whatsapp",
      config: { accountSid: SID, authToken: "t", from: "+15005550006" },
    });
    assert.ok(result.ok);
    const provider = createProvider(
      { id: "tw", ...result.value },
      { allowPrivateUrls: false, now: Date.now },
    );
    assert.deepEqual(provider.channels, ["whatsapp"]);
    assert.equal(provider.type, "twilio");
  });

  it("reports each problem with its JSON path", () => {
    const result = validateProviderBody({
      type: "twilio",
      config: { accountSid: "nope", authToken: "", statusCallback: "ftp://x", extra: 1 },
    });
    assert.ok(!result.ok);
    const paths = result.issues.map((issue) => issue.path).sort();
    assert.deepEqual(paths, [
      "config.accountSid",
      "config.authToken",
      "config.extra",
      "config.from",
      "config.statusCallback",
    ]);
    // The same wording as journey validation: the unknown key by name; custom rules keep their own message.
    const message = (path: string) => result.issues.find((issue) => issue.path === path)?.message;
    assert.equal(message("config.extra"), 'unknown key "extra"');
    assert.match(message("config.from") ?? "", /set from, whatsappFrom or messagingServiceSid/);
  });

  it("names the allowed types for an unknown type", () => {
    const result = validateProviderBody({ type: "pigeon", config: {} });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]?.path, "type");
    assert.match(result.issues[0]?.message ?? "", /webhook, slack, twilio/);
  });

  it("refuses a channel the provider type cannot deliver", () => {
    const result = validateProviderBody({
      type: "sendgrid",
      channel: "sms",
      config: { apiKey: "k", from: "a@b.co" },
    });
    assert.ok(!result.ok);
    assert.equal(result.issues[0]?.path, "channel");
  });

  it("takes a pasted service-account key file and checks the private key", () => {
    const { account } = createTestServiceAccount();
    const ok = validateProviderBody({
      type: "fcm",
      config: { ...account, auth_uri: "https://accounts.google.com/o/oauth2/auth" },
    });
    assert.ok(ok.ok);
    const bad = validateProviderBody({
      type: "fcm",
      config: { ...account, private_key: "-----BEGIN nothing" },
    });
    assert.ok(!bad.ok);
    assert.equal(bad.issues[0]?.path, "config.private_key");
  });

  it("takes a SendGrid webhook verification key only when it is an EC P-256 public key", () => {
    const sendgrid = (webhookVerificationKey: string) =>
      validateProviderBody({
        type: "sendgrid",
        config: { apiKey: "k", from: "a@b.co", webhookVerificationKey },
      });
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" })
      .publicKey.export({ format: "der", type: "spki" })
      .toString("base64");
    assert.ok(sendgrid(key).ok);
    const bad = sendgrid("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE-not-a-key");
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.issues.map((issue) => issue.path),
      ["config.webhookVerificationKey"],
    );
    assert.match(bad.issues[0]?.message ?? "", /ECDSA P-256 public key in base64/);
  });

  it("createProvider throws ProviderConfigError with paths for an invalid stored config", () => {
    assert.throws(
      () =>
        createProvider(
          { id: "s", type: "smtp", config: { host: "", port: 0, from: "x@y.z" } },
          { allowPrivateUrls: false, now: Date.now },
        ),
      (error: unknown) =>
        error instanceof ProviderConfigError &&
        error.code === "PROVIDER_CONFIG_INVALID" &&
        error.issues.some((issue) => issue.path === "config.port"),
    );
  });
});

describe("provider secrets", () => {
  it("lists secret fields per type", () => {
    assert.deepEqual(secretFields("twilio"), ["authToken"]);
    assert.deepEqual(secretFields("smtp"), ["auth.pass"]);
  });

  it("shows a SendGrid webhook verification key, which is public, and hides the API key", () => {
    const body = {
      type: "sendgrid" as const,
      config: { apiKey: "SG.secret", from: "a@b.co", webhookVerificationKey: "MFkw..." },
    };
    assert.deepEqual(redactSecrets(body).config, { ...body.config, apiKey: REDACTED });
  });

  it("redacts secrets, including every configured header value", () => {
    const body = {
      type: "webhook" as const,
      config: {
        url: "https://example.com/h",
        secret: "s".repeat(20),
        headers: { Authorization: "Bearer x", "X-A": "b" },
      },
    };
    const redacted = redactSecrets(body);
    assert.deepEqual(redacted.config, {
      url: "https://example.com/h",
      secret: REDACTED,
      headers: { Authorization: REDACTED, "X-A": REDACTED },
    });
    assert.equal(body.config.secret, "s".repeat(20), "the original is untouched");
  });

  it("keeps stored secrets when a redacted body is put back", () => {
    const stored = {
      type: "smtp" as const,
      config: { host: "h", port: 25, from: "a@b.c", auth: { user: "u", pass: "p" } },
    };
    const back = keepSecrets(stored, redactSecrets(stored));
    assert.deepEqual(back.config, stored.config);
    const changed = keepSecrets(stored, {
      ...stored,
      config: { ...stored.config, auth: { user: "u", pass: "new" } },
    });
    assert.equal((changed.config as typeof stored.config).auth.pass, "new");
  });
});
