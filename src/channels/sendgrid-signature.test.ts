import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, it } from "node:test";
import {
  SENDGRID_TOLERANCE_MS,
  sendGridVerificationKey,
  verifySendGridSignature,
} from "./sendgrid-signature.js";

const NOW = 1_700_000_000_000;
const STAMP = String(NOW / 1000);

function p256(): { privateKey: KeyObject; verificationKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateKey, verificationKey: base64Spki(publicKey) };
}

function base64Spki(publicKey: KeyObject): string {
  return publicKey.export({ format: "der", type: "spki" }).toString("base64");
}

/** What SendGrid sends: ECDSA over timestamp + body, DER, base64. */
function signature(privateKey: KeyObject, timestamp: string, body: string): string {
  return sign("sha256", Buffer.from(timestamp + body), privateKey).toString("base64");
}

describe("SendGrid signed event webhook", () => {
  const { privateKey, verificationKey } = p256();
  // SendGrid's own formatting, kept byte for byte: the signature covers it.
  const body = '[{"email":"ada@example.com","event":"open","idempotencyKey":"k1"}]\r\n';
  const signed = (timestamp = STAMP, text = body) => ({
    signature: signature(privateKey, timestamp, text),
    timestamp,
    body: Buffer.from(text),
  });

  it("accepts the signature over the timestamp followed by the exact body bytes", () => {
    assert.equal(verifySendGridSignature(verificationKey, signed(), NOW), true);
  });

  it("refuses a changed body, even one that parses to the same JSON", () => {
    const request = signed();
    const reformatted = Buffer.from(JSON.stringify(JSON.parse(body)));
    assert.equal(verifySendGridSignature(verificationKey, { ...request, body: reformatted }, NOW), false);
    const tampered = Buffer.from(body.replace("open", "click"));
    assert.equal(verifySendGridSignature(verificationKey, { ...request, body: tampered }, NOW), false);
  });

  it("refuses a signature made with another key or over another timestamp", () => {
    assert.equal(verifySendGridSignature(p256().verificationKey, signed(), NOW), false);
    const moved = { ...signed(), timestamp: String(NOW / 1000 + 1) };
    assert.equal(verifySendGridSignature(verificationKey, moved, NOW), false);
  });

  it("refuses timestamps more than 10 minutes old or ahead, so a captured request cannot be replayed", () => {
    const at = (offsetMs: number) => signed(String((NOW + offsetMs) / 1000));
    assert.equal(SENDGRID_TOLERANCE_MS, 600_000);
    assert.equal(verifySendGridSignature(verificationKey, at(-600_000), NOW), true);
    assert.equal(verifySendGridSignature(verificationKey, at(600_000), NOW), true);
    assert.equal(verifySendGridSignature(verificationKey, at(-601_000), NOW), false);
    assert.equal(verifySendGridSignature(verificationKey, at(601_000), NOW), false);
    assert.equal(
      verifySendGridSignature(verificationKey, at(-601_000), NOW - 1000),
      true,
      "the clock decides",
    );
  });

  it("answers false, never throws, for missing headers and malformed values", () => {
    const request = signed();
    const cases = [
      { ...request, signature: undefined },
      { ...request, timestamp: undefined },
      { ...request, signature: "" },
      { ...request, signature: "not base64!" },
      { ...request, signature: Buffer.from("not a DER signature").toString("base64") },
      { ...request, timestamp: "" },
      { ...request, timestamp: `${STAMP}.5` },
      { ...request, timestamp: "soon" },
    ];
    for (const bad of cases) assert.equal(verifySendGridSignature(verificationKey, bad, NOW), false);
    assert.equal(verifySendGridSignature("not a key", request, NOW), false);
  });

  it("reads only base64 DER public keys of EC P-256, however the text is wrapped", () => {
    assert.equal(sendGridVerificationKey(verificationKey)?.asymmetricKeyType, "ec");
    assert.ok(sendGridVerificationKey(verificationKey.replace(/(.{40})/g, "$1\n")));
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const pem = p256().privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    for (const text of [base64Spki(p384), base64Spki(rsa), pem, "", "AAAA", "not base64!"]) {
      assert.equal(sendGridVerificationKey(text), undefined, text.slice(0, 30));
    }
  });
});
