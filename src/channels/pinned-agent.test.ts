import assert from "node:assert/strict";
import type { LookupAddress, LookupOptions } from "node:dns";
import { describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import { UrlRefusedError } from "./errors.js";
import { guardedLookup } from "./pinned-agent.js";
import { dnsAnswers, PUBLIC_ADDRESS } from "./testing/dns-answers.js";
import { startFakeWebhook } from "./testing/fake-webhook.js";
import { testMessage } from "./testing/test-message.js";
import type { LookupAddresses } from "./url-guard.js";

function lookupOnce(
  resolve: LookupAddresses,
  options: LookupOptions,
): Promise<{ error: Error | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((done) => {
    guardedLookup(resolve)("api.example.com", options, (error, address, family) =>
      done({ error, address, family }),
    );
  });
}

describe("pinned agent (connections checked as they open)", () => {
  it("refuses a name whose answer turns private between the guard and the connection (DNS rebinding)", async () => {
    const fake = await startFakeWebhook({});
    try {
      const port = new URL(fake.url).port;
      // The guard's check sees a public address; the connection's own resolution gets loopback.
      const dns = dnsAnswers([PUBLIC_ADDRESS], ["127.0.0.1"]);
      const provider = createProvider(
        { id: "hooks", type: "webhook", config: {} },
        { allowPrivateUrls: false, now: Date.now, timeoutMs: 2000, lookup: dns.lookup },
      );
      const [outcome] = await provider.send(
        [testMessage("webhook", undefined, { url: `http://rebind.example:${port}/hook` })],
        new AbortController().signal,
      );
      assert.equal(outcome?.status, "permanent");
      assert.match(
        outcome?.status === "permanent" ? outcome.error : "",
        /127\.0\.0\.1 when connecting, a loopback/,
      );
      assert.equal(dns.calls(), 2, "the guard and the connection each resolved the name");
      assert.equal(fake.requests.length, 0);
    } finally {
      await fake.close();
    }
  });

  it("passes public answers through in the shape net.connect asked for", async () => {
    const { lookup } = dnsAnswers([PUBLIC_ADDRESS, "2606:2800:220:1:248:1893:25c8:1946"]);
    const all = await lookupOnce(lookup, { all: true });
    assert.equal(all.error, null);
    assert.deepEqual(all.address, [
      { address: PUBLIC_ADDRESS, family: 4 },
      { address: "2606:2800:220:1:248:1893:25c8:1946", family: 6 },
    ]);
    const one = await lookupOnce(lookup, { family: 6 });
    assert.deepEqual([one.error, one.address, one.family], [null, "2606:2800:220:1:248:1893:25c8:1946", 6]);
  });

  it("refuses when any address is private, and reports a name without addresses as not found", async () => {
    const mixed = await lookupOnce(dnsAnswers([PUBLIC_ADDRESS, "10.0.0.7"]).lookup, { all: true });
    assert.ok(mixed.error instanceof UrlRefusedError);
    assert.match(mixed.error.message, /10\.0\.0\.7 when connecting, a private address/);
    const none = await lookupOnce(dnsAnswers([]).lookup, {});
    assert.equal((none.error as NodeJS.ErrnoException | null)?.code, "ENOTFOUND");
  });
});
