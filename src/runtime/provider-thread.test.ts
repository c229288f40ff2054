import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import type { Worker } from "node:worker_threads";
import type { ProviderConfig } from "../channels/config.js";
import { type FakeWebhook, startFakeWebhook } from "../channels/testing/fake-webhook.js";
import { testMessage } from "../channels/testing/test-message.js";
import { openSqlite } from "../store/sqlite/open.js";
import { Engine } from "./engine.js";
import { PROVIDER_DOC, ProviderRegistry } from "./provider-registry.js";
import { InvalidProviderError, ProviderThread } from "./provider-thread.js";

const SECRET = "test-webhook-secret-123456";
const root = mkdtempSync(join(tmpdir(), "journeys-provider-thread-"));
after(() => rmSync(root, { recursive: true, force: true }));
const never = () => new AbortController().signal;

/** Ends the thread's worker as a crash would (a test reaches into the private field). */
async function killWorker(thread: ProviderThread): Promise<void> {
  await (thread as unknown as { worker: Worker }).worker.terminate();
}

describe("provider thread", () => {
  let fake: FakeWebhook;
  let thread: ProviderThread;
  let config: ProviderConfig;
  let lost: string[];

  before(async () => {
    fake = await startFakeWebhook({ secret: SECRET });
    config = { id: "hooks", type: "webhook", config: { url: `${fake.url}/hooks`, secret: SECRET } };
  });
  beforeEach(() => {
    fake.reset();
    lost = [];
    thread = new ProviderThread({
      allowPrivateUrls: true,
      timeoutMs: 2_000,
      onLost: (error) => lost.push(error.message),
    });
  });
  after(async () => {
    await thread.close();
    await fake.close();
  });

  it("builds the provider in the worker and makes its calls there, signed, one outcome per message", async () => {
    assert.equal(thread.running(), -1, "no worker before a provider is opened");
    const provider = await thread.open(config);
    assert.deepEqual(
      [provider.id, provider.type, provider.maxBatch, provider.channels.includes("push")],
      ["hooks", "webhook", 1, true],
    );
    assert.ok(thread.running() > 0);
    const message = testMessage("push", "device-1", { title: "Hi" });
    const outcomes = await provider.send([message], never());
    assert.equal(outcomes[0]?.status, "sent", JSON.stringify(outcomes));
    assert.equal(fake.count(message.idempotencyKey), 1);
    fake.serverError();
    const [failed] = await provider.send([testMessage("push", "device-1", { title: "Hi" })], never());
    assert.equal(failed?.status, "retry");
    await thread.close();
  });

  it("refuses an invalid configuration with the provider's own reason", async () => {
    await assert.rejects(
      thread.open({ id: "bad", type: "webhook", config: { url: "not a url" } } as ProviderConfig),
      (error) => error instanceof InvalidProviderError && /provider bad: config\.url/.test(error.message),
    );
    await thread.close();
  });

  it("the registry builds a project's providers once, leaves out an invalid one, and remembers nothing when the thread fails", async () => {
    const storage = openSqlite({ path: join(root, "registry.db") });
    try {
      const { store } = storage;
      const { id: _, ...body } = config;
      await store.putDocument("p", PROVIDER_DOC, "hook", body as never);
      await store.putDocument("p", PROVIDER_DOC, "broken", {
        type: "webhook",
        config: { url: "not a url" },
      } as never);
      const opened: string[] = [];
      const counting = Object.create(thread) as ProviderThread;
      counting.open = (c: ProviderConfig) => {
        opened.push(c.id);
        return thread.open(c);
      };
      const registry = new ProviderRegistry(store, {
        allowPrivateUrls: true,
        now: Date.now,
        thread: counting,
      });
      // Two deliveries at once: one build.
      const [a, b] = await Promise.all([
        registry.resolve("p", "push", "hook"),
        registry.resolve("p", "push", "hook"),
      ]);
      assert.ok(a && a === b);
      assert.deepEqual(opened.sort(), ["broken", "hook", "webhook-actions"]);
      assert.equal(await registry.resolve("p", "push", "broken"), undefined, "an invalid one is left out");
      // A thread that is gone: the build fails and is not remembered.
      await thread.close();
      await assert.rejects(registry.resolve("q", "push", undefined), /provider thread is closed/);
      await registry.close();
    } finally {
      await storage.store.close();
    }
  });

  it("a call the dispatcher gives up on comes back at once as a retry", async () => {
    fake.hang();
    const provider = await thread.open(config);
    const bound = new AbortController();
    const pending = provider.send([testMessage("push", "device-1", { title: "Hi" })], bound.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    bound.abort(new Error("no outcome within 50 ms"));
    const [outcome] = await pending;
    assert.deepEqual(outcome, { status: "retry", error: "aborted: no outcome within 50 ms" });
    await thread.close();
  });

  it("a worker that dies fails its calls in flight as retries; the next call opens the provider in a new one", async () => {
    const provider = await thread.open(config);
    const first = thread.running();
    fake.hang();
    const pending = provider.send([testMessage("push", "device-1", { title: "Hi" })], never());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await killWorker(thread);
    const [lostCall] = await pending;
    assert.equal(lostCall?.status, "retry");
    assert.match((lostCall as { error: string }).error, /provider thread exited/);
    assert.deepEqual(lost, ["the provider thread exited (code 1)"], "the loss is reported");
    fake.ok();
    const message = testMessage("push", "device-1", { title: "Again" });
    const [again] = await provider.send([message], never());
    assert.equal(again?.status, "sent", JSON.stringify(again));
    assert.ok(thread.running() > first, "a new worker");
    assert.equal(fake.count(message.idempotencyKey), 1);
    await thread.close();
  });

  it("runs from the compiled dist/ as the installed command does (its worker is JavaScript there)", async () => {
    const compiled = new URL("../../dist/runtime/provider-thread.js", import.meta.url).href;
    const { ProviderThread: Compiled } = (await import(compiled)) as {
      ProviderThread: typeof ProviderThread;
    };
    const built = new Compiled({ allowPrivateUrls: true, timeoutMs: 2_000 });
    try {
      const provider = await built.open(config);
      const message = testMessage("push", "device-1", { title: "Hi" });
      const [outcome] = await provider.send([message], never());
      assert.equal(outcome?.status, "sent", JSON.stringify(outcome));
      assert.equal(fake.count(message.idempotencyKey), 1);
    } finally {
      await built.close();
      await thread.close();
    }
  });

  it("an engine refuses a provider thread beside an injected name lookup, which cannot cross threads", async () => {
    const storage = openSqlite({ path: join(root, "engine.db") });
    try {
      assert.throws(
        () =>
          new Engine({
            store: storage.store,
            log: storage.log,
            delivery: { providerThread: true, provider: { lookup: async () => [] } },
          }),
        /delivery\.providerThread: .*delivery\.provider\.lookup/,
      );
    } finally {
      await storage.store.close();
      await thread.close();
    }
  });

  it("once closed, calls come back as retries and no worker starts", async () => {
    const provider = await thread.open(config);
    await thread.close();
    const [outcome] = await provider.send([testMessage("push", "device-1", { title: "Hi" })], never());
    assert.deepEqual(outcome, { status: "retry", error: "the provider thread is closed" });
    assert.equal(thread.running(), -1);
    await provider.close();
    assert.deepEqual(lost, [], "closing is not a loss");
  });
});
