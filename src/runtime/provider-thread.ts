import { Worker } from "node:worker_threads";
import type { ProviderConfig } from "../channels/config.js";
import type { Provider, ProviderMessage, SendOutcome } from "../channels/provider.js";
import type { Channel } from "../core/model.js";

/** How the provider thread builds providers (what `createProvider` gets in-thread, minus functions). */
export interface ProviderThreadOptions {
  /** Allow loopback and private targets (JOURNEYS_ALLOW_PRIVATE_URLS=1). */
  allowPrivateUrls: boolean;
  /** Per-call timeout in milliseconds (default: the providers' own). */
  timeoutMs?: number;
  /** Told when a worker fails or exits unasked (its calls in flight come back as retries). */
  onLost?: (error: Error) => void;
}

/** The thread could not build a provider from its configuration (the provider's own reason). */
export class InvalidProviderError extends Error {
  override readonly name = "InvalidProviderError";
}

/** What a provider built in the thread tells the dispatcher about itself. */
interface ProviderInfo {
  type: string;
  channels: Channel[];
  maxBatch: number;
  maxConcurrency?: number;
}

/** Requests to the provider thread; each is answered once, with its id. */
export type ToProviderThread =
  | { op: "open"; id: number; key: string; config: ProviderConfig }
  | { op: "send"; id: number; key: string; messages: readonly ProviderMessage[] }
  | { op: "abort"; id: number; reason: string }
  | { op: "close"; id: number; key: string };

/** A request before it is given its id. */
type Request = ToProviderThread extends infer T ? (T extends unknown ? Omit<T, "id"> : never) : never;

export type FromProviderThread =
  | { id: number; ok: true; info?: ProviderInfo; outcomes?: SendOutcome[] }
  | { id: number; ok: false; error: string; invalid?: boolean };

/**
 * Loads the worker's module: under tsx (tests, benchmarks) the source is TypeScript, so the
 * worker registers tsx's loader first; from the compiled `dist/` it is plain JavaScript.
 */
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
const ready = workerData.loader ? import(workerData.loader).then((api) => api.register()) : Promise.resolve();
ready.then(() => import(workerData.entry));
`;

/**
 * Channel providers in a worker thread of their own. Calling a provider is HTTP (TLS, request
 * and response parsing, a socket write per call): on the engine's one thread, at 5,000
 * events/s with 250 webhooks a second, that was ~10% of its time, every bit of which delays the
 * inputs queued behind it. Here the dispatcher keeps claiming, retries, breakers and rate limits
 * and records outcomes on its own thread; only the calls move, through `RemoteProvider`s that
 * post the rendered messages and get one outcome per message back.
 *
 * The worker starts at the first provider opened. If it dies, calls in flight come back as
 * retries and the next call starts a new worker, which opens the providers again from their
 * configurations.
 */
export class ProviderThread {
  private worker: Worker | undefined;
  /** Bumped each time a worker starts: providers opened in an earlier one open again. */
  private generation = 0;
  private nextId = 1;
  private nextKey = 1;
  private readonly pending = new Map<
    number,
    { resolve(message: FromProviderThread): void; reject(error: Error): void }
  >();
  private closed = false;
  /** Requests posted in this turn of the event loop, sent together (see `enqueue`). */
  private outgoing: ToProviderThread[] = [];

  constructor(private readonly options: ProviderThreadOptions) {}

  /**
   * Builds a provider in the thread. Rejects with an InvalidProviderError, giving the reason, when
   * its configuration is invalid, and with a plain Error when the thread is closed or lost.
   */
  async open(config: ProviderConfig): Promise<Provider> {
    const key = String(this.nextKey++);
    const { info, generation } = await this.openIn(key, config);
    return new RemoteProvider(this, key, config, info, generation);
  }

  /** Opens `key` in the current worker (starting one if needed). */
  async openIn(key: string, config: ProviderConfig): Promise<{ info: ProviderInfo; generation: number }> {
    this.start();
    const generation = this.generation;
    const answer = await this.post({ op: "open", key, config }).answer;
    if (!answer.ok) throw answer.invalid ? new InvalidProviderError(answer.error) : new Error(answer.error);
    return { info: answer.info as ProviderInfo, generation };
  }

  /** The current worker's generation (starting one if needed). */
  current(): number {
    this.start();
    return this.generation;
  }

  /** The running worker's generation, or -1 when none runs (nothing is started). */
  running(): number {
    return this.worker ? this.generation : -1;
  }

  /** Posts a request; returns its id (for `abort`) and its answer. */
  post(request: Request): { id: number; answer: Promise<FromProviderThread> } {
    const id = this.nextId++;
    const worker = this.worker;
    if (!worker) return { id, answer: Promise.reject(new Error("the provider thread is closed")) };
    const answer = new Promise<FromProviderThread>((resolve, reject) => {
      // While something waits for an answer the worker keeps the process up, as a socket would.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
    });
    this.enqueue({ ...request, id } as ToProviderThread);
    return { id, answer };
  }

  /** Asks the thread to abort a call; the caller has already given up on its answer. */
  abort(id: number, reason: string): void {
    this.settled(id);
    this.enqueue({ op: "abort", id, reason });
  }

  /** Stops the worker; calls still in flight come back as failed. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error("the provider thread is closed"));
    await worker?.terminate();
  }

  private start(): void {
    if (this.worker || this.closed) return;
    const typescript = import.meta.url.endsWith(".ts");
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        allowPrivateUrls: this.options.allowPrivateUrls,
        timeoutMs: this.options.timeoutMs,
        entry: new URL(`./provider-worker.${typescript ? "ts" : "js"}`, import.meta.url).href,
        loader: typescript ? import.meta.resolve("tsx/esm/api") : undefined,
      },
      // Nothing of the parent's command line (inspector, profiler, loaders: the bootstrap loads its own).
      execArgv: [],
    });
    // Idle, the worker is never the reason the process stays up (see `post`).
    worker.unref();
    this.generation++;
    worker.on("message", (answers: FromProviderThread[]) => {
      for (const answer of answers) this.settled(answer.id)?.resolve(answer);
    });
    const lost = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(error);
      this.options.onLost?.(error);
    };
    worker.on("error", (error) => lost(new Error(`the provider thread failed: ${error.message}`)));
    worker.on("exit", (code) => lost(new Error(`the provider thread exited (code ${code})`)));
    this.worker = worker;
  }

  /**
   * Requests go to the worker together, once per turn of the event loop: waking a thread costs
   * tens of µs on a small VM, and the dispatcher starts its calls in bursts (a claim's worth).
   */
  private enqueue(request: ToProviderThread): void {
    this.outgoing.push(request);
    if (this.outgoing.length > 1) return;
    setImmediate(() => {
      const batch = this.outgoing;
      this.outgoing = [];
      if (batch.length > 0) this.worker?.postMessage(batch);
    });
  }

  /** Stops waiting for request `id`; returns who waited. */
  private settled(id: number) {
    const waiting = this.pending.get(id);
    this.pending.delete(id);
    if (waiting && this.pending.size === 0) this.worker?.unref();
    return waiting;
  }

  private fail(error: Error): void {
    // Requests not posted yet were meant for the worker that is gone: their callers get the
    // error below, so none may reach the next worker (a send would go out after its caller was
    // told it failed, and be retried).
    this.outgoing = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const waiting of pending) waiting.reject(error);
  }
}

/** A provider living in the provider thread, as the dispatcher sees it. */
class RemoteProvider implements Provider {
  readonly type: string;
  readonly channels: readonly Channel[];
  readonly maxBatch: number;
  readonly maxConcurrency?: number;
  private reopening: Promise<void> | undefined;

  constructor(
    private readonly thread: ProviderThread,
    private readonly key: string,
    private readonly config: ProviderConfig,
    info: ProviderInfo,
    private generation: number,
  ) {
    this.type = info.type;
    this.channels = info.channels;
    this.maxBatch = info.maxBatch;
    if (info.maxConcurrency !== undefined) this.maxConcurrency = info.maxConcurrency;
  }

  get id(): string {
    return this.config.id;
  }

  async send(messages: readonly ProviderMessage[], signal: AbortSignal): Promise<SendOutcome[]> {
    const failed = (error: string): SendOutcome[] => messages.map(() => ({ status: "retry", error }));
    try {
      if (this.thread.current() !== this.generation) {
        // The worker this provider was opened in is gone: open it in the new one (once, for
        // every call that finds it so).
        this.reopening ??= this.thread.openIn(this.key, this.config).then(
          ({ generation }) => {
            this.generation = generation;
            this.reopening = undefined;
          },
          (error: unknown) => {
            this.reopening = undefined;
            throw error;
          },
        );
        await this.reopening;
      }
      const reason = (): string => (signal.reason as Error | undefined)?.message ?? "aborted";
      if (signal.aborted) return failed(`aborted: ${reason()}`);
      const { id, answer } = this.thread.post({ op: "send", key: this.key, messages });
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<FromProviderThread>((resolve) => {
        onAbort = () => {
          this.thread.abort(id, reason());
          resolve({ id, ok: false, error: `aborted: ${reason()}` });
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
      const result = await Promise.race([answer, aborted]);
      if (onAbort) signal.removeEventListener("abort", onAbort);
      if (!result.ok) return failed(result.error);
      return result.outcomes ?? failed("the provider thread returned no outcome");
    } catch (error) {
      return failed((error as Error).message);
    }
  }

  async close(): Promise<void> {
    // Opened in a worker that is gone: nothing to close (and no worker to start for it).
    if (this.thread.running() !== this.generation) return;
    await this.thread.post({ op: "close", key: this.key }).answer.catch(() => undefined);
  }
}
