import type { JourneyDefinition, JsonObject, SegmentDefinition } from "../core/model.js";
import type { ChannelAddress } from "../core/state.js";

/** Options of the typed client. */
export interface ClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:3000`. */
  url: string;
  apiKey: string;
  /** Events per request (max 1000, default 500). */
  batchSize?: number;
  /** Longest an event waits in the buffer before a flush (default 200 ms). */
  flushIntervalMs?: number;
  /** Attempts per request before giving up (default 8). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt with full jitter (default 100 ms). */
  backoffMs?: number;
  /** Largest buffered event count; `track` rejects when full, so memory stays bounded (default 100,000). */
  maxBuffered?: number;
  /** Called when a batch is dropped after its last attempt. */
  onError?: (error: Error, events: readonly TrackedEvent[]) => void;
  fetch?: typeof fetch;
}

export interface TrackedEvent {
  id?: string;
  userId: string;
  name: string;
  properties?: JsonObject;
  timestamp?: number;
}

/** An error answered by the server: status, stable code, and the JSON path at fault. */
export class JourneysApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly issues?: readonly { path: string; message: string }[],
  ) {
    super(message);
    this.name = "JourneysApiError";
  }
}

interface Pending {
  event: TrackedEvent;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The Journeys client: `track` buffers events and sends them in batches in the background,
 * retrying with exponential backoff and jitter (each event carries an id, so a retried batch is
 * applied once); `identify` and journey management are plain calls.
 */
export class JourneysClient {
  private readonly options: Required<Omit<ClientOptions, "onError" | "fetch">> &
    Pick<ClientOptions, "onError">;
  private readonly fetch: typeof fetch;
  private buffer: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = {
      batchSize: 500,
      flushIntervalMs: 200,
      maxAttempts: 8,
      backoffMs: 100,
      maxBuffered: 100_000,
      ...options,
      url: options.url.replace(/\/+$/, ""),
    };
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Queues an event; the promise resolves when the server has made it durable. */
  track(event: TrackedEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error("client is closed"));
    if (this.buffer.length >= this.options.maxBuffered)
      return Promise.reject(new Error("event buffer is full"));
    const withId: TrackedEvent = {
      ...event,
      id: event.id ?? crypto.randomUUID(),
      timestamp: event.timestamp ?? Date.now(),
    };
    const done = new Promise<void>((resolve, reject) => this.buffer.push({ event: withId, resolve, reject }));
    if (this.buffer.length >= this.options.batchSize) this.flushSoon(0);
    else this.flushSoon(this.options.flushIntervalMs);
    return done;
  }

  /** Sends everything buffered and waits for every batch in flight. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.buffer.length > 0) this.sendBatch(this.buffer.splice(0, this.options.batchSize));
    await Promise.allSettled([...this.inFlight]);
  }

  /** Flushes and refuses further events. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  identify(
    userId: string,
    change: {
      attributes?: JsonObject;
      unset?: string[];
      timezone?: string;
      channels?: Record<string, ChannelAddress>;
    },
  ) {
    return this.request("PUT", `/v1/users/${encodeURIComponent(userId)}`, change);
  }

  user(userId: string) {
    return this.request("GET", `/v1/users/${encodeURIComponent(userId)}`);
  }

  journal(userId: string) {
    return this.request("GET", `/v1/users/${encodeURIComponent(userId)}/journal`);
  }

  eraseUser(userId: string) {
    return this.request("DELETE", `/v1/users/${encodeURIComponent(userId)}`);
  }

  readonly journeys = {
    list: () => this.request("GET", "/v1/journeys"),
    create: (definition: JourneyDefinition) => this.request("POST", "/v1/journeys", definition),
    get: (id: string) => this.request("GET", `/v1/journeys/${encodeURIComponent(id)}`),
    update: (definition: JourneyDefinition) =>
      this.request("PUT", `/v1/journeys/${encodeURIComponent(definition.id)}`, definition),
    validate: (id: string) => this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/validate`),
    publish: (id: string) => this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/publish`),
    pause: (id: string) => this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/pause`),
    resume: (id: string) => this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/resume`),
    archive: (id: string) => this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/archive`),
    stats: (id: string) => this.request("GET", `/v1/journeys/${encodeURIComponent(id)}/stats`),
    enter: (id: string, userId: string, properties?: JsonObject) =>
      this.request("POST", `/v1/journeys/${encodeURIComponent(id)}/enter`, { userId, properties }),
  };

  putTemplate(id: string, channel: string, content: JsonObject) {
    return this.request("PUT", `/v1/templates/${encodeURIComponent(id)}`, { channel, content });
  }

  putSegment(segment: SegmentDefinition) {
    return this.request("PUT", `/v1/segments/${encodeURIComponent(segment.id)}`, {
      condition: segment.condition,
      name: segment.name,
    });
  }

  /** One JSON request; throws JourneysApiError on 4xx/5xx. */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.fetch(`${this.options.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.options.apiKey}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return undefined;
    const text = await response.text();
    const payload = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) throw apiError(response.status, payload);
    return payload;
  }

  private flushSoon(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.buffer.length > 0) this.sendBatch(this.buffer.splice(0, this.options.batchSize));
    }, delay);
  }

  private sendBatch(batch: Pending[]): void {
    const sending = this.deliver(batch).finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  private async deliver(batch: Pending[]): Promise<void> {
    const events = batch.map((p) => p.event);
    let lastError: Error = new Error("not sent");
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        await this.request("POST", "/v1/events", { events });
        for (const p of batch) p.resolve();
        return;
      } catch (error) {
        lastError = error as Error;
        // 4xx other than 408/429 will not change on retry.
        if (
          error instanceof JourneysApiError &&
          error.status < 500 &&
          error.status !== 408 &&
          error.status !== 429
        )
          break;
        if (attempt < this.options.maxAttempts) {
          const cap = this.options.backoffMs * 2 ** (attempt - 1);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
        }
      }
    }
    this.options.onError?.(lastError, events);
    for (const p of batch) p.reject(lastError);
  }
}

function apiError(status: number, payload: unknown): JourneysApiError {
  const error = (
    payload as {
      error?: {
        code?: string;
        message?: string;
        path?: string;
        issues?: { path: string; message: string }[];
      };
    }
  )?.error;
  return new JourneysApiError(
    status,
    error?.code ?? "HTTP_ERROR",
    error?.message ?? `HTTP ${status}`,
    error?.path,
    error?.issues,
  );
}
