import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Running, type ServeOptions, serve } from "../../src/cli/serve-command.js";

export const TEST_KEY = "jrn_test_key_0123456789abcdefghijklmnopqrstuv";

/** A temporary folder removed by `cleanup()`. */
export function tempDir(prefix = "journeys-test-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely, by property
export type Body = any;

export interface TestServer {
  url: string;
  running: Running;
  /** JSON request with the test API key. */
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: Body }>;
  close(): Promise<void>;
}

/** Starts Journeys in this process on a real SQLite file and a real HTTP port. */
export async function startServer(db?: string, extra: Partial<ServeOptions> = {}): Promise<TestServer> {
  const temp = db ? undefined : tempDir();
  const running = await serve(
    {
      ...extra,
      db: db ?? join(temp?.dir ?? ".", "journeys.db"),
      port: 0,
      host: "127.0.0.1",
      partitions: 8,
      project: "test",
      logLevel: "silent",
      apiKey: TEST_KEY,
    },
    () => undefined,
  );
  const url = running.url;
  return {
    url,
    running,
    api: (method, path, body, headers) => request(url, method, path, body, headers),
    close: async () => {
      await running.close();
      temp?.cleanup();
    },
  };
}

/**
 * Publishes journey `notify`: each `order` event (keyed by `properties.n`) posts a webhook to
 * `{receiver}/o/{n}`.
 */
export async function publishWebhookJourney(server: TestServer, receiver: string): Promise<void> {
  const journey = {
    id: "notify",
    entry: { event: "order", key: "properties.n" },
    start: "hook",
    nodes: { hook: { actions: [{ webhook: { url: `${receiver}/o/{{ journey.entry.properties.n }}` } }] } },
  };
  assert.equal((await server.api("POST", "/v1/journeys", journey)).status, 201);
  assert.equal((await server.api("POST", "/v1/journeys/notify/publish")).status, 200);
}

/** One HTTP request with the test key; the body is parsed when it is JSON. */
export async function request(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TEST_KEY}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, body: parsed };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs `journeys serve` as a child process (so it can be killed with SIGKILL). */
export async function spawnServer(db: string, extraEnv: Record<string, string> = {}): Promise<ChildServer> {
  const root = join(import.meta.dirname, "..", "..");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "src", "cli", "bin.ts"),
      "serve",
      "--port",
      "0",
      "--db",
      db,
      "--partitions",
      "8",
      "--log-level",
      "silent",
    ],
    {
      cwd: root,
      env: { ...process.env, JOURNEYS_API_KEY: TEST_KEY, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    kill: (signal = "SIGKILL") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill(signal);
      }),
  };
}
