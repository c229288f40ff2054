import assert from "node:assert/strict";
import type { LookupFunction } from "node:net";
import { after, before, describe, it } from "node:test";
import { createProvider } from "./create-provider.js";
import { providerAgent } from "./pinned-agent.js";
import type { Provider } from "./provider.js";
import { ProviderHttp } from "./provider-http.js";
import { SmtpProvider } from "./smtp.js";
import { dnsAnswers, PUBLIC_ADDRESS } from "./testing/dns-answers.js";
import { type FakeSmtp, startFakeSmtp } from "./testing/fake-smtp.js";
import { testMessage } from "./testing/test-message.js";
import { type LookupAddresses, UrlGuard } from "./url-guard.js";

const signal = () => new AbortController().signal;
const email = { subject: "Your cart", text: "3 items wait" };

/**
 * An SMTP provider for `mail.example` (a name real DNS never answers) whose guard sees a public
 * address and whose connections resolve the name to the local fake, standing in for a public
 * server: what a send looks like when both checks pass.
 */
function providerReaching(fake: FakeSmtp): { provider: SmtpProvider; connections: () => string[] } {
  const asked: string[] = [];
  const socketLookup: LookupFunction = (hostname, options, callback) => {
    asked.push(hostname);
    const answer = { address: fake.host, family: 4 };
    if (options.all) (callback as (e: null, a: (typeof answer)[]) => void)(null, [answer]);
    else callback(null, answer.address, answer.family);
  };
  const guard = new UrlGuard({
    allowPrivateUrls: false,
    now: Date.now,
    lookup: dnsAnswers([PUBLIC_ADDRESS]).lookup,
  });
  const provider = new SmtpProvider(
    { host: "mail.example", port: fake.port, from: "shop@example.com" },
    {
      id: "smtp",
      channels: ["email"],
      http: new ProviderHttp({ dispatcher: providerAgent(true), guard, timeoutMs: 2000, now: Date.now }),
      guard,
      socketLookup,
      now: Date.now,
      timeoutMs: 2000,
    },
  );
  return { provider, connections: () => asked };
}

describe("SMTP connections go to the address that was checked", () => {
  let fake: FakeSmtp;

  before(async () => {
    fake = await startFakeSmtp();
  });
  after(() => fake.close());

  async function sendWith(lookup: LookupAddresses, host: string): Promise<Provider> {
    return createProvider(
      { id: "strict", type: "smtp", config: { host, port: fake.port, from: "shop@example.com" } },
      { allowPrivateUrls: false, now: Date.now, timeoutMs: 2000, lookup },
    );
  }

  it("refuses a host name that resolves to a private address", async () => {
    fake.reset();
    const provider = await sendWith(dnsAnswers(["10.0.0.5"]).lookup, "mail.example");
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    await provider.close();
    assert.equal(outcome?.status, "permanent");
    assert.match(
      outcome?.status === "permanent" ? outcome.error : "",
      /mail\.example resolves to 10\.0\.0\.5, a private address/,
    );
    assert.equal(fake.accepted.length, 0);
  });

  it("refuses a name whose answer turns private between the check and the connection (DNS rebinding)", async () => {
    fake.reset();
    const dns = dnsAnswers([PUBLIC_ADDRESS], ["127.0.0.1"]);
    const provider = await sendWith(dns.lookup, "rebind.example");
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    await provider.close();
    assert.equal(outcome?.status, "permanent");
    assert.match(
      outcome?.status === "permanent" ? outcome.error : "",
      /127\.0\.0\.1 when connecting, a loopback/,
    );
    assert.equal(dns.calls(), 2, "the guard and the connection each resolved the name, nodemailer never");
    assert.equal(fake.accepted.length, 0);
  });

  it("delivers over a pooled connection opened to the checked address, resolving once per connection", async () => {
    fake.reset();
    const { provider, connections } = providerReaching(fake);
    const first = testMessage("email", "ada@example.com", email);
    const second = testMessage("email", "bob@example.com", email);
    assert.equal((await provider.send([first], signal()))[0]?.status, "sent");
    assert.equal((await provider.send([second], signal()))[0]?.status, "sent");
    await provider.close();
    assert.equal(fake.count(first.idempotencyKey), 1);
    assert.equal(fake.count(second.idempotencyKey), 1);
    assert.deepEqual(connections(), ["mail.example"], "the second message reused the pooled connection");
  });
});

describe("SMTP TLS over a pinned connection", () => {
  let fake: FakeSmtp;

  before(async () => {
    fake = await startFakeSmtp({ starttls: true });
  });
  after(() => fake.close());

  it("asks for the configured host name (SNI) and still checks the server's certificate", async () => {
    const { provider } = providerReaching(fake);
    const [outcome] = await provider.send([testMessage("email", "ada@example.com", email)], signal());
    await provider.close();
    assert.deepEqual(fake.servernames, ["mail.example"]);
    // The fake's built-in certificate is self-signed: refusing it shows verification is still on.
    assert.equal(outcome?.status, "retry");
    assert.match(outcome?.status === "retry" ? outcome.error : "", /certificate/i);
    assert.equal(fake.accepted.length, 0);
  });
});
