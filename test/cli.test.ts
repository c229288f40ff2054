import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startFakeWebhook } from "../src/channels/testing/fake-webhook.js";
import { eventually, request, TEST_KEY, tempDir } from "./support/server.js";

const root = join(import.meta.dirname, "..");

function journeys(...args: string[]): { code: number | null; out: string } {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", join(root, "src", "cli", "bin.ts"), ...args],
    {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

describe("journeys CLI", () => {
  const temp = tempDir("journeys-cli-");
  after(() => temp.cleanup());

  it("validate: every example is valid (exit 0)", () => {
    const files = ["abandoned-cart", "onboarding-drip", "club-welcome", "win-back"].map((n) =>
      join(root, "examples", `${n}.json`),
    );
    const { code, out } = journeys("validate", ...files);
    assert.equal(code, 0, out);
    assert.equal(out.match(/: valid/g)?.length, 4);
  });

  it("validate: a broken journey prints every error with its path (exit 1)", () => {
    const file = join(temp.dir, "broken.json");
    writeFileSync(
      file,
      JSON.stringify({
        id: "broken",
        entry: { event: "go" },
        start: "a",
        nodes: { a: { edges: [{ to: "missing", when: { after: "soon" } }] }, orphan: {} },
      }),
    );
    const { code, out } = journeys("validate", file);
    assert.equal(code, 1);
    assert.match(out, /nodes\.a\.edges\[0\]\.to/);
    assert.match(out, /nodes\.a\.edges\[0\]\.when\.after/);
    assert.match(out, /orphan/);
  });

  it("validate: a file that is not JSON is a readable error, not a stack trace", () => {
    const file = join(temp.dir, "bad.json");
    writeFileSync(file, "{ nope");
    const { code, out } = journeys("validate", file);
    assert.equal(code, 1);
    assert.match(out, /not valid JSON/);
    assert.doesNotMatch(out, /at .*\.ts:\d+/);
  });

  it("simulate: runs a journey over NDJSON events with a virtual clock", () => {
    const { code, out } = journeys(
      "simulate",
      join(root, "examples", "abandoned-cart.json"),
      join(root, "examples", "events", "abandoned-cart.ndjson"),
    );
    assert.equal(code, 0, out);
    assert.match(out, /^wait\s+3$/m);
    assert.match(out, /^push\s+2$/m);
    assert.match(out, /^email\s+1$/m);
    assert.match(out, /^done\s+1$/m);
    assert.match(out, /^ada: wait -> push \(\+30m\) -> email \(\+2h 30m\)/m);
    assert.match(out, /^bob: wait -> push \(\+30m\) -> done/m);
    assert.match(out, /^cy: wait -> exit: exit on order_completed \[converted\]/m);
  });

  it("serve --help lists every setting with its environment variable", () => {
    const { code, out } = journeys("serve", "--help");
    assert.equal(code, 0);
    for (const name of [
      "--db",
      "JOURNEYS_DB",
      "--port",
      "JOURNEYS_PORT",
      "--host",
      "JOURNEYS_HOST",
      "JOURNEYS_API_KEY",
    ])
      assert.ok(out.includes(name), name);
  });

  it("serve refuses a bad setting by name before opening anything", () => {
    const db = join(temp.dir, "refused.db");
    for (const [flag, value] of [
      ["--cache-size", "0"],
      ["--max-backlog", "lots"],
      ["--event-history", "some"],
      ["--heap-headroom", "1.5"],
      ["--provider-thread", "maybe"],
      ["--quiet-users", "-1"],
      ["--provider-concurrency", "0"],
      ["--reserve-mib", "lots"],
    ] as const) {
      // `=` keeps a value that starts with a dash (-1) attached to its flag.
      const { code, out } = journeys("serve", "--db", db, `${flag}=${value}`);
      assert.notEqual(code, 0, flag);
      assert.match(out, new RegExp(`${flag}: expected`), flag);
    }
    assert.equal(existsSync(db), false);
  });

  it("the installed command runs the server with a 64 MiB young generation and stops cleanly on SIGTERM", {
    skip: process.platform !== "linux" && "reads /proc",
  }, async () => {
    const server = await startInstalled(join(temp.dir, "bin.db"));
    try {
      const argv = readFileSync(`/proc/${server.child.pid}/cmdline`, "utf8").split("\0");
      assert.ok(argv.includes("--max-semi-space-size=64"), argv.join(" "));
      await server.stop();
    } finally {
      server.kill();
    }
  });

  it("the installed command sends through its provider thread (on by default) and stops cleanly", {
    timeout: 60_000,
  }, async () => {
    const hook = await startFakeWebhook();
    const server = await startInstalled(join(temp.dir, "deliver.db"), {
      JOURNEYS_API_KEY: TEST_KEY,
      JOURNEYS_ALLOW_PRIVATE_URLS: "1",
    });
    try {
      const api = async (method: string, path: string, body?: unknown) =>
        (await request(server.url, method, path, body)).status;
      const provider = { type: "webhook", channel: "push", config: { url: `${hook.url}/push` } };
      assert.equal(await api("PUT", "/v1/providers/hook", provider), 200);
      const journey = {
        id: "hello",
        entry: { event: "go" },
        start: "push",
        nodes: {
          push: { actions: [{ send: { channel: "push", content: { title: "Hi", body: "Hello" } } }] },
        },
      };
      assert.equal(await api("POST", "/v1/journeys", journey), 201);
      assert.equal(await api("POST", "/v1/journeys/hello/publish"), 200);
      assert.equal(await api("PUT", "/v1/users/u1", { channels: { push: { address: "device-1" } } }), 200);
      assert.equal(await api("POST", "/v1/events", { userId: "u1", name: "go" }), 202);
      await eventually(async () => hook.accepted.length > 0 || undefined, 15_000, "the webhook call");
      assert.equal(hook.accepted.length, 1, server.output());
      await server.stop();
    } finally {
      server.kill();
      await hook.close();
    }
  });

  it("unknown commands and flags exit 2 with usage", () => {
    assert.equal(journeys("frobnicate").code, 2);
    assert.equal(journeys("serve", "--nope").code, 2);
  });
});

/**
 * Runs `bin/journeys.js serve` as npm links it: executed through its shebang, running the
 * compiled dist/. Resolves once it listens; `stop()` asserts a clean exit on SIGTERM, `kill()`
 * makes sure a failed assertion never leaves it running (the test run would never end).
 */
async function startInstalled(db: string, env: Record<string, string> = {}) {
  const child = spawn(join(root, "bin", "journeys.js"), ["serve", "--db", db, "--port", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  child.stderr.on("data", (chunk) => {
    out += String(chunk);
  });
  const kill = (): void => {
    if (child.exitCode === null) child.kill("SIGKILL");
  };
  const deadline = Date.now() + 30_000;
  while (!out.includes("Journeys listening on") && Date.now() < deadline && child.exitCode === null)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const url = /Journeys listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  if (!url) {
    kill();
    assert.fail(`the server did not start listening:\n${out}`);
  }
  return {
    child,
    url,
    output: () => out,
    kill,
    async stop(): Promise<void> {
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
    },
  };
}
