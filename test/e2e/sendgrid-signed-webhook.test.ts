import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type FakeSendGrid, startFakeSendGrid } from "../../src/channels/testing/fake-sendgrid.js";
import { type Body, eventually, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

const SIGNATURE = "X-Twilio-Email-Event-Webhook-Signature";
const TIMESTAMP = "X-Twilio-Email-Event-Webhook-Timestamp";

function p256(): { privateKey: KeyObject; verificationKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return {
    privateKey,
    verificationKey: publicKey.export({ format: "der", type: "spki" }).toString("base64"),
  };
}

/** The headers SendGrid sends with a body: ECDSA P-256 over timestamp + body, DER, base64. */
function signedHeaders(privateKey: KeyObject, body: string, atMs = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(atMs / 1000));
  const signature = sign("sha256", Buffer.from(timestamp + body), privateKey).toString("base64");
  return { [SIGNATURE]: signature, [TIMESTAMP]: timestamp };
}

const mailer = {
  id: "mailer",
  entry: { event: "go" },
  start: "email",
  nodes: {
    email: {
      actions: [
        {
          send: { channel: "email", provider: "sendgrid", content: { subject: "Hello", text: "Hi" } },
        },
      ],
      edges: [
        { to: "opened", when: { message: "opened" } },
        { to: "waited", when: { after: "1h" } },
      ],
    },
    opened: {},
    waited: {},
  },
};

describe("SendGrid signed event webhook through the HTTP API", () => {
  let server: TestServer;
  let sendgrid: FakeSendGrid;
  let delivery: Body;
  const { privateKey, verificationKey } = p256();
  const path = "/v1/callbacks/sendgrid?project=test";

  /** SendGrid's events for the delivery, formatted as SendGrid does: the signature covers the bytes. */
  const events = (...names: string[]) =>
    `${JSON.stringify(
      names.map((event) => ({
        email: "ada@example.com",
        event,
        idempotencyKey: delivery.idempotencyKey,
        sg_message_id: "sg-1",
        timestamp: 1_700_000_000,
      })),
      null,
      2,
    )}\r\n`;

  const post = (body: string, headers: Record<string, string>, url = path) =>
    fetch(`${server.url}${url}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  /** The delivery's status and the user's finished journeys: what a refused callback must not touch. */
  const state = async () => ({
    status: (await server.api("GET", `/v1/deliveries/${delivery.id}`)).body.status,
    history: (await server.api("GET", "/v1/users/ada")).body.history ?? [],
  });

  before(async () => {
    sendgrid = await startFakeSendGrid();
    server = await startServer(undefined, { engine: { delivery: { pollMs: 20, backoffMs: 50 } } });
    const put = await server.api("PUT", "/v1/providers/sendgrid", {
      type: "sendgrid",
      config: {
        apiKey: sendgrid.apiKey,
        from: "shop@example.com",
        baseUrl: sendgrid.url,
        webhookVerificationKey: verificationKey,
      },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal((await server.api("POST", "/v1/journeys", mailer)).status, 201);
    assert.equal((await server.api("POST", "/v1/journeys/mailer/publish")).status, 200);
    await server.api("PUT", "/v1/users/ada", { channels: { email: { address: "ada@example.com" } } });
    await server.api("POST", "/v1/events", { userId: "ada", name: "go" });
    delivery = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/deliveries?userId=ada");
        return body.deliveries.find((d: Body) => d.status === "sent");
      },
      8000,
      "the email sent",
    );
    assert.equal(sendgrid.count(delivery.idempotencyKey), 1);
  });

  after(async () => {
    await server?.close();
    await sendgrid?.close();
  });

  it("refuses a verification key that is not an EC public key, naming its JSON path", async () => {
    const bad = await server.api("PUT", "/v1/providers/bad", {
      type: "sendgrid",
      config: { apiKey: "SG.x", from: "shop@example.com", webhookVerificationKey: "bm90IGEga2V5" },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.error.issues.map((issue: Body) => issue.path),
      ["config.webhookVerificationKey"],
    );
  });

  it("shows the verification key, which is public, and still hides the API key", async () => {
    const { body } = await server.api("GET", "/v1/providers/sendgrid");
    assert.equal(body.config.webhookVerificationKey, verificationKey);
    assert.notEqual(body.config.apiKey, sendgrid.apiKey);
  });

  it("answers 401 and changes nothing for a tampered body, another key, a stale timestamp or no headers", async () => {
    const before = await state();
    assert.deepEqual(before, { status: "sent", history: [] });
    const body = events("delivered", "open");
    const stranger = p256().privateKey;
    const refused = {
      "tampered body": post(body.replace('"open"', '"click"'), signedHeaders(privateKey, body)),
      "reformatted body": post(JSON.stringify(JSON.parse(body)), signedHeaders(privateKey, body)),
      "another key": post(body, signedHeaders(stranger, body)),
      "stale timestamp": post(body, signedHeaders(privateKey, body, Date.now() - 11 * 60_000)),
      "future timestamp": post(body, signedHeaders(privateKey, body, Date.now() + 11 * 60_000)),
      "no headers": post(body, {}),
      "no timestamp": post(body, { [SIGNATURE]: signedHeaders(privateKey, body)[SIGNATURE] as string }),
      "garbage signature": post(body, { ...signedHeaders(privateKey, body), [SIGNATURE]: "%%%" }),
    };
    for (const [name, response] of Object.entries(refused)) {
      const reply = await response;
      assert.equal(reply.status, 401, name);
      assert.equal(((await reply.json()) as Body).error.code, "BAD_SIGNATURE", name);
    }
    assert.deepEqual(await state(), before);
  });

  it("refuses a body over the server's limit before reading it as events", async () => {
    const huge = JSON.stringify([{ event: "open", padding: "x".repeat(1024 * 1024) }]);
    const reply = await post(huge, signedHeaders(privateKey, huge));
    assert.equal(reply.status, 413);
  });

  it("applies a correctly signed event batch: delivered, and the user takes the opened edge", async () => {
    const body = events("delivered", "open");
    const reply = await post(body, signedHeaders(privateKey, body));
    assert.equal(reply.status, 200, await reply.clone().text());
    assert.deepEqual(await reply.json(), { received: 2, applied: 2 });
    const user = await eventually(
      async () => {
        const { body } = await server.api("GET", "/v1/users/ada");
        return body.history?.[0]?.node === "opened" ? body : undefined;
      },
      5000,
      "the opened edge",
    );
    assert.equal(user.history[0].journeyId, "mailer");
    assert.equal((await state()).status, "delivered");
  });

  it("still accepts the callback URL's token without signature headers", async () => {
    const { body: provider } = await server.api("GET", "/v1/providers/sendgrid");
    assert.match(provider.callbackUrl, /&token=/);
    const reply = await post(events("click"), {}, provider.callbackUrl);
    assert.equal(reply.status, 200);
    assert.deepEqual(await reply.json(), { received: 1, applied: 1 });
  });
});
