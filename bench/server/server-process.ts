import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SERVE_HEAP_GROWING_PERCENT } from "../../src/cli/heap-growth.js";
import { monotonicMs } from "../lib/clock.js";
import type { Command, Notice, Progress, Reply, ServerConfig } from "./protocol.js";

/** The server did not answer a command in time: its event loop is blocked, or it hangs. */
export class ServerUnresponsiveError extends Error {
  readonly code = "SERVER_UNRESPONSIVE";

  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`the benchmark server did not answer "${command}" within ${Math.round(timeoutMs / 1000)} s`);
    this.name = "ServerUnresponsiveError";
  }
}

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "child.ts");

export interface SpawnOptions {
  /** Write a V8 CPU profile of the server into this directory (on a clean stop). */
  cpuProfileDir?: string;
  /** Called with errors the server reports (a failing batch, a bug). */
  onError?: (message: string) => void;
}

/** The parent's handle on a Journeys server child process. */
export class ServerProcess {
  readonly url: string;
  /** Monotonic times of the child's startup steps (started, opened, engineStarted, listening). */
  readonly timings: { [step: string]: number };
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly noticeHandlers: ((notice: Notice) => void)[] = [];
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly spawnedAt: number,
    readonly port: number,
    timings: { [step: string]: number },
    exited: Promise<number | null>,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.timings = timings;
    this.exited = exited;
    child.on("message", (message: Reply | Notice) => this.receive(message));
    child.once("exit", (code, signal) => {
      for (const waiter of this.pending.values())
        waiter.reject(new Error(`benchmark server exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /**
   * Forks the server (TypeScript through tsx, V8 GC exposed) and resolves once it listens.
   * `onNotice` sees notices from the very start (e.g. the first timer fired after a restart).
   */
  static start(
    config: ServerConfig,
    options: SpawnOptions = {},
    onNotice?: (notice: Notice) => void,
  ): Promise<ServerProcess> {
    // What `journeys serve` runs with: --max-semi-space-size=64 (bin/journeys.js) and the old
    // generation's growth of src/cli/heap-growth.ts, which the CLI sets when it starts serving
    // (the child does the same; the flag here covers the start).
    const execArgv = [
      "--import",
      "tsx",
      "--expose-gc",
      "--max-old-space-size=8192",
      "--max-semi-space-size=64",
      `--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`,
    ];
    // BENCH_NODE_FLAGS="--max-semi-space-size=64": other V8 settings for the server, for experiments.
    execArgv.push(...(process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean));
    if (options.cpuProfileDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`);
    const spawnedAt = monotonicMs();
    const child = fork(CHILD, [JSON.stringify(config)], {
      execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return new Promise<ServerProcess>((resolve, reject) => {
      const onMessage = (message: Reply | Notice): void => {
        if (!("notice" in message)) return;
        onNotice?.(message);
        if (message.notice === "error") options.onError?.(message.message);
        if (message.notice !== "listening") return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        const server = new ServerProcess(child, spawnedAt, message.port, message.timings, exited);
        if (onNotice) server.onNotice(onNotice);
        if (options.onError) {
          const report = options.onError;
          server.onNotice((notice) => {
            if (notice.notice === "error") report(notice.message);
          });
        }
        resolve(server);
      };
      const onExit = (code: number | null): void =>
        reject(new Error(`benchmark server exited with ${code} before listening`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  }

  onNotice(handler: (notice: Notice) => void): void {
    this.noticeHandlers.push(handler);
  }

  /**
   * Sends a command and resolves with its result; rejects with ServerUnresponsiveError when no
   * answer comes within `timeoutMs` (the server's event loop is blocked or it hangs).
   */
  request<T>(command: Command, timeoutMs = 45 * 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ServerUnresponsiveError(command.cmd, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          (resolve as (value: unknown) => void)(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ id, command });
    });
  }

  progress(): Promise<Progress> {
    return this.request<Progress>({ cmd: "progress" }, 120_000);
  }

  /** kill -9: no chance to flush or close anything. */
  async kill9(): Promise<void> {
    this.child.kill("SIGKILL");
    await this.exited;
  }

  /** Closes the HTTP server, the engine and the store, and waits for the process to exit. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      await this.request({ cmd: "shutdown" }, timeoutMs).catch(() => undefined);
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private receive(message: Reply | Notice): void {
    if ("notice" in message) {
      for (const handler of this.noticeHandlers) handler(message);
      return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`benchmark server: ${message.error}`));
  }
}
