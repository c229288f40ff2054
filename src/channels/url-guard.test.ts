import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UrlRefusedError } from "./errors.js";
import { privateAddressReason, UrlGuard } from "./url-guard.js";

const now = () => 1_700_000_000_000;

function guard(allowPrivateUrls: boolean, addresses?: Record<string, string[]>): UrlGuard {
  return new UrlGuard({
    allowPrivateUrls,
    now,
    ...(addresses
      ? {
          lookup: async (hostname: string) =>
            (addresses[hostname] ?? []).map((address) => ({
              address,
              family: address.includes(":") ? 6 : 4,
            })),
        }
      : {}),
  });
}

async function refusal(check: Promise<unknown>): Promise<UrlRefusedError> {
  try {
    await check;
  } catch (error) {
    assert.ok(error instanceof UrlRefusedError, `expected UrlRefusedError, got ${String(error)}`);
    assert.equal(error.code, "URL_REFUSED");
    return error;
  }
  assert.fail("expected the URL to be refused");
}

describe("url guard", () => {
  it("refuses loopback literals unless private URLs are allowed", async () => {
    const error = await refusal(guard(false).check("http://127.0.0.1:8080/hook"));
    assert.match(error.reason, /loopback/);
    await refusal(guard(false).check("http://[::1]/hook"));
    assert.equal((await guard(true).check("http://127.0.0.1:8080/hook")).port, "8080");
  });

  it("refuses a hostname that resolves to a private address", async () => {
    const lookup = { "internal.example.com": ["93.184.216.34", "10.1.2.3"] };
    const error = await refusal(guard(false, lookup).check("https://internal.example.com/x"));
    assert.match(error.reason, /internal\.example\.com resolves to 10\.1\.2\.3, a private address/);
  });

  it("checks every address a hostname resolves to, and accepts all-public ones", async () => {
    const lookup = { "api.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] };
    const url = await guard(false, lookup).check("https://api.example.com/v1");
    assert.equal(url.hostname, "api.example.com");
  });

  it("resolves localhost with the system resolver and refuses it", async () => {
    const error = await refusal(guard(false).check("http://localhost:9/"));
    assert.match(error.reason, /localhost resolves to/);
  });

  it("refuses the cloud metadata address and schemes other than http(s)", async () => {
    assert.match((await refusal(guard(false).check("http://169.254.169.254/latest"))).reason, /link-local/);
    assert.match((await refusal(guard(true).check("file:///etc/passwd"))).reason, /scheme/);
    assert.match((await refusal(guard(true).check("not a url"))).reason, /not a valid URL/);
  });

  it("names the range of each private address", () => {
    const cases: [string, RegExp | undefined][] = [
      ["10.0.0.1", /10\.0\.0\.0\/8/],
      ["172.16.5.4", /172\.16\.0\.0\/12/],
      ["172.32.0.1", undefined],
      ["192.168.1.1", /192\.168\.0\.0\/16/],
      ["127.0.0.53", /loopback/],
      ["169.254.1.1", /link-local/],
      ["0.0.0.0", /unspecified/],
      ["8.8.8.8", undefined],
      ["::1", /loopback/],
      ["::", /unspecified/],
      ["fc00::1", /unique local/],
      ["fd12:3456::1", /unique local/],
      ["fe80::1%eth0", /link-local/],
      ["::ffff:127.0.0.1", /loopback/],
      ["::ffff:10.0.0.1", /private/],
      ["::ffff:8.8.8.8", undefined],
      ["2001:4860:4860::8888", undefined],
    ];
    for (const [address, expected] of cases) {
      const reason = privateAddressReason(address);
      if (expected === undefined) assert.equal(reason, undefined, address);
      else assert.match(reason ?? "", expected, address);
    }
  });

  it("lets DNS failures through as ordinary errors (retryable), not refusals", async () => {
    const failing = new UrlGuard({
      allowPrivateUrls: false,
      now,
      lookup: async () => {
        throw Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" });
      },
    });
    await assert.rejects(
      failing.check("https://flaky.example.com/"),
      (error: unknown) => !(error instanceof UrlRefusedError),
    );
  });
});
