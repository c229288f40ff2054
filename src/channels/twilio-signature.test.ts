import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { twilioSignature, verifyTwilioSignature } from "./twilio-signature.js";

describe("Twilio request signature", () => {
  // The example of Twilio's security documentation.
  const authToken = "12345";
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+12349013030",
    Digits: "1234",
    From: "+12349013030",
    To: "+18005551212",
  };

  it("matches the documented algorithm: HMAC-SHA1 over URL + sorted name/value pairs, base64", () => {
    const data = `${url}CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212`;
    const expected = createHmac("sha1", authToken).update(data).digest("base64");
    assert.equal(twilioSignature(authToken, url, params), expected);
    assert.equal(expected, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert.ok(verifyTwilioSignature(authToken, url, params, expected));
  });

  it("accepts form parameters as URLSearchParams in any order", () => {
    const form = new URLSearchParams([...Object.entries(params)].reverse());
    assert.ok(verifyTwilioSignature(authToken, url, form, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
  });

  it("rejects a wrong token, a changed parameter, a missing header", () => {
    const signature = twilioSignature(authToken, url, params);
    assert.equal(verifyTwilioSignature("54321", url, params, signature), false);
    assert.equal(verifyTwilioSignature(authToken, url, { ...params, Digits: "1235" }, signature), false);
    assert.equal(verifyTwilioSignature(authToken, url, params, undefined), false);
  });

  it("accepts the URL with or without the default port, as Twilio's libraries do", () => {
    const withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    const signature = twilioSignature(authToken, withPort, params);
    assert.ok(verifyTwilioSignature(authToken, url, params, signature));
  });
});
