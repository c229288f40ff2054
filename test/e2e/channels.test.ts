import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ProviderConfig } from "../../src/channels/config.js";
import { type FakeProviders, startFakeProviders } from "../../src/channels/testing/fake-providers.js";
import { twilioSignature } from "../../src/channels/twilio-signature.js";
import { type Body, eventually, startServer, type TestServer } from "../support/server.js";

process.env.JOURNEYS_ALLOW_PRIVATE_URLS = "1";

/**
 * Each channel through the engine to a local server speaking the real provider's API, and
 * receipts back; with the providers' calls on the engine's thread, and in their own thread (as
 * `journeys serve` makes them).
 */
for (const providerThread of [false, true]) {
  describe(`channels end to end: FCM, Twilio, SendGrid, Slack, SMTP${providerThread ? ", providers in their own thread" : ""}`, () => {
    let server: TestServer;
    let fakes: FakeProviders;

    const body = (config: ProviderConfig) => {
      const { id: _id, ...rest } = config;
      return rest;
    };

    before(async () => {
      fakes = await startFakeProviders();
      server = await startServer(undefined, {
        engine: { delivery: { pollMs: 20, backoffMs: 50, providerThread } },
      });
      const twilio = body(fakes.configs.twilio) as Body;
      twilio.config.statusCallback = `${server.url}/v1/callbacks/twilio?project=test`;
      for (const [id, provider] of [
        ["fcm", body(fakes.configs.fcm)],
        ["twilio", twilio],
        ["sendgrid", body(fakes.configs.sendgrid)],
        ["slack", body(fakes.configs.slack)],
        ["smtp", body(fakes.configs.smtp)],
      ] as const) {
        const put = await server.api("PUT", `/v1/providers/${id}`, provider);
        assert.equal(put.status, 200, `${id}: ${JSON.stringify(put.body)}`);
      }
      const journey = {
        id: "multi",
        entry: { event: "go", key: "properties.channel" },
        start: "route",
        nodes: {
          route: {
            edges: [
              { to: "push", when: { event: "never" } },
              { to: "push", when: { user: { via: "push" } } },
              { to: "sms", when: { user: { via: "sms" } } },
              { to: "email", when: { user: { via: "email" } } },
              { to: "smtp", when: { user: { via: "smtp" } } },
              { to: "slack" },
            ],
          },
          push: {
            actions: [
              {
                send: {
                  channel: "push",
                  provider: "fcm",
                  content: { title: "Hi", body: "push for {{ user.id }}" },
                },
              },
            ],
            edges: [
              { to: "end", when: { message: "delivered" } },
              { to: "end", when: { message: "failed" } },
            ],
          },
          sms: {
            actions: [
              { send: { channel: "sms", provider: "twilio", content: { text: "sms for {{ user.id }}" } } },
            ],
            edges: [{ to: "end", when: { message: "delivered" } }],
          },
          email: {
            actions: [
              {
                send: {
                  channel: "email",
                  provider: "sendgrid",
                  content: { subject: "Hello", text: "email", html: "<p>email</p>" },
                },
              },
            ],
            edges: [{ to: "end", when: { message: "opened" } }],
          },
          smtp: {
            actions: [
              {
                send: {
                  channel: "email",
                  provider: "smtp",
                  content: { subject: "Hello", text: "smtp email" },
                },
              },
            ],
          },
          slack: {
            actions: [
              { send: { channel: "slack", provider: "slack", content: { text: "slack for {{ user.id }}" } } },
            ],
          },
          end: {},
        },
      };
      assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201);
      const published = await server.api("POST", "/v1/journeys/multi/publish");
      assert.equal(published.status, 200, JSON.stringify(published.body));
    });

    after(async () => {
      await server?.close();
      await fakes?.close();
    });

    async function sentFor(userId: string): Promise<Body> {
      return eventually(
        async () => {
          const { body } = await server.api("GET", `/v1/deliveries?userId=${userId}`);
          return body.deliveries.find((d: Body) => d.status !== "queued" && d.status !== "sending");
        },
        8000,
        `a delivery outcome for ${userId}`,
      );
    }

    it("FCM: an unregistered token fails permanently and unsubscribes the user's push address", async () => {
      fakes.fcm.unregister("dead-token");
      await server.api("PUT", "/v1/users/p1", {
        attributes: { via: "push" },
        channels: { push: { address: "dead-token" } },
      });
      await server.api("POST", "/v1/events", { userId: "p1", name: "go", properties: { channel: "push" } });
      const delivery = await sentFor("p1");
      assert.equal(delivery.status, "failed");
      const user = await eventually(
        async () => {
          const { body } = await server.api("GET", "/v1/users/p1");
          return body.channels.push.subscribed === false ? body : undefined;
        },
        5000,
        "push unsubscribed",
      );
      assert.equal(user.history[0].node, "end", "the failure reached the journey as message failed");
    });

    it("FCM: a live token is delivered with the idempotency key in the data", async () => {
      await server.api("PUT", "/v1/users/p2", {
        attributes: { via: "push" },
        channels: { push: { address: "live-token" } },
      });
      await server.api("POST", "/v1/events", { userId: "p2", name: "go", properties: { channel: "push" } });
      const delivery = await sentFor("p2");
      assert.equal(delivery.status, "sent");
      assert.equal(fakes.fcm.count(delivery.idempotencyKey), 1);
      // In thread mode the calls went through a running provider thread.
      const thread = server.running.engine.providerThread;
      assert.equal(thread !== undefined && thread.running() > 0, providerThread);
    });

    it("Twilio: SMS sent, then a signed status callback marks it delivered and moves the user", async () => {
      await server.api("PUT", "/v1/users/s1", {
        attributes: { via: "sms" },
        channels: { sms: { address: "+15551234567" } },
      });
      await server.api("POST", "/v1/events", { userId: "s1", name: "go", properties: { channel: "sms" } });
      const delivery = await sentFor("s1");
      assert.equal(delivery.status, "sent");
      const path = `/v1/callbacks/twilio?project=test&journeysKey=${delivery.idempotencyKey}`;
      const params = { MessageSid: delivery.providerMessageId ?? "SM1", MessageStatus: "delivered" };
      const token = (fakes.configs.twilio.config as Body).authToken;
      const forged = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "forged" },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(forged.status, 401);
      const signed = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-twilio-signature": twilioSignature(token, `${server.url}${path}`, params),
        },
        body: new URLSearchParams(params).toString(),
      });
      assert.equal(signed.status, 200, await signed.text());
      await eventually(
        async () => (await server.api("GET", "/v1/users/s1")).body.history?.[0]?.node === "end",
        5000,
        "sms delivered edge",
      );
      assert.equal((await server.api("GET", `/v1/deliveries/${delivery.id}`)).body.status, "delivered");
    });

    it("SendGrid: email accepted, the event webhook's open moves the user", async () => {
      await server.api("PUT", "/v1/users/e1", {
        attributes: { via: "email" },
        channels: { email: { address: "e1@example.com" } },
      });
      await server.api("POST", "/v1/events", { userId: "e1", name: "go", properties: { channel: "email" } });
      const delivery = await sentFor("e1");
      assert.equal(delivery.status, "sent");
      assert.equal(fakes.sendgrid.count(delivery.idempotencyKey), 1);
      const { body: provider } = await server.api("GET", "/v1/providers/sendgrid");
      const events = [
        {
          email: "e1@example.com",
          event: "open",
          idempotencyKey: delivery.idempotencyKey,
          sg_message_id: "x",
        },
      ];
      const receipt = await fetch(`${server.url}${provider.callbackUrl}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(events),
      });
      assert.equal(receipt.status, 200);
      await eventually(
        async () => (await server.api("GET", "/v1/users/e1")).body.history?.[0]?.node === "end",
        5000,
        "email opened edge",
      );
    });

    it("SMTP and Slack deliver through their real protocols", async () => {
      await server.api("PUT", "/v1/users/m1", {
        attributes: { via: "smtp" },
        channels: { email: { address: "m1@example.com" } },
      });
      await server.api("PUT", "/v1/users/k1", { attributes: { via: "slack" } });
      await server.api("POST", "/v1/events", {
        events: [
          { userId: "m1", name: "go", properties: { channel: "smtp" } },
          { userId: "k1", name: "go", properties: { channel: "slack" } },
        ],
      });
      const mail = await sentFor("m1");
      const slack = await sentFor("k1");
      assert.equal(mail.status, "sent");
      assert.equal(slack.status, "sent");
      assert.equal(fakes.smtp.count(mail.idempotencyKey), 1);
      assert.equal(fakes.slack.count(slack.idempotencyKey), 1);
    });
  });
}
