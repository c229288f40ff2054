import type { FastifyInstance } from "fastify";
import { ApiKeys } from "../api/auth.js";
import { buildServer } from "../api/server.js";
import { startDeliverySpan } from "../observability/delivery-span.js";
import { parseRetention } from "../observability/journal-retention.js";
import { loggerOptions, parseLogLevel } from "../observability/logger.js";
import { Observability } from "../observability/observability.js";
import type { Tracing } from "../observability/tracing.js";
import { DEFAULT_PROVIDER_CONCURRENCY } from "../runtime/dispatcher.js";
import { DEFAULT_MAX_BACKLOG, Engine, type EngineOptions } from "../runtime/engine.js";
import { DEFAULT_CACHE_SIZE } from "../runtime/executor.js";
import { DEFAULT_QUIET_USERS } from "../runtime/quiet-users.js";
import { openSqlite } from "../store/sqlite/open.js";
import { SERVE_HEAP_HEADROOM_BYTES } from "./heap-growth.js";

export interface ServeOptions {
  db: string;
  port: number;
  host: string;
  partitions: number;
  apiKey?: string;
  project: string;
  logLevel: string;
  /** Which events the per-user history records (see EngineOptions.history). */
  eventHistory?: "all" | "referenced";
  /** Backlog from which new events get 429 (see EngineOptions.maxBacklog). */
  maxBacklog?: number;
  /** Executor state cache, in users plus their instances (see EngineOptions.cacheSize). */
  cacheSize?: number;
  /** Users whose quiet events can be skipped (see EngineOptions.quietUsers; 0: off). */
  quietUsers?: number;
  /** Base URL the outside world reaches this server at (tracking links, Twilio signatures). */
  publicUrl?: string;
  /** Engine settings beyond the flags (tests and embedding: delivery backoff, breaker...). */
  engine?: Partial<Omit<EngineOptions, "store" | "log">>;
  /** How long journal lines are kept (`30d`, `12w`, `forever`; default 30d). */
  journalRetention?: string;
  /** Tracing to use instead of the one configured by OTEL_* variables (tests, embedding). */
  tracing?: Tracing;
  /** Providers' calls in a worker thread of their own (see EngineOptions.delivery.providerThread). */
  providerThread?: boolean;
  /** Calls in flight per provider (see DispatcherOptions.perProviderConcurrency). */
  providerConcurrency?: number;
  /** MiB a smaller database file is grown to at start, as free pages (see SqliteOptions.reserveBytes). */
  reserveMib?: number;
}

/** The settings of `journeys serve`: each a flag and an environment variable. */
export const SERVE_SETTINGS = [
  { flag: "db", env: "JOURNEYS_DB", default: "./journeys.db", help: "SQLite database file" },
  { flag: "port", env: "JOURNEYS_PORT", default: "3000", help: "HTTP port" },
  { flag: "host", env: "JOURNEYS_HOST", default: "127.0.0.1", help: "HTTP host to bind" },
  {
    flag: "partitions",
    env: "JOURNEYS_PARTITIONS",
    default: "64",
    help: "user partitions (fixed once data exists)",
  },
  {
    flag: "project",
    env: "JOURNEYS_PROJECT",
    default: "default",
    help: "name of the project created on first start",
  },
  {
    flag: "log-level",
    env: "JOURNEYS_LOG_LEVEL",
    default: "info",
    help: "fatal, error, warn, info, debug, trace or silent",
  },
  {
    flag: "event-history",
    env: "JOURNEYS_EVENT_HISTORY",
    default: "referenced",
    help: "referenced: history counts the events some published condition counts, from its publication (faster); all: every event",
  },
  {
    flag: "public-url",
    env: "JOURNEYS_PUBLIC_URL",
    default: "",
    help: "public base URL (enables open/click tracking)",
  },
  {
    flag: "journal-retention",
    env: "JOURNEYS_JOURNAL_RETENTION",
    default: "30d",
    help: "how long journal lines are kept (30d, 12w, forever)",
  },
  {
    flag: "max-backlog",
    env: "JOURNEYS_MAX_BACKLOG",
    default: String(DEFAULT_MAX_BACKLOG),
    help: "events waiting to be applied from which new events get 429 until the engine catches up (0: no limit)",
  },
  {
    flag: "cache-size",
    env: "JOURNEYS_CACHE_SIZE",
    default: String(DEFAULT_CACHE_SIZE),
    help: "users' states kept in memory, counted as users plus their journey instances (memory: ~1-2 KiB each); a user read from the file is cached from their second recent read",
  },
  {
    flag: "quiet-users",
    env: "JOURNEYS_QUIET_USERS",
    default: String(DEFAULT_QUIET_USERS),
    help: "users for whom the engine remembers that events no journey or segment names would change nothing, and skips them without reading the user (16 bytes each; 0: off)",
  },
  {
    flag: "provider-thread",
    env: "JOURNEYS_PROVIDER_THREAD",
    default: "on",
    help: "on: channel providers make their HTTP calls in a worker thread of their own, off the engine's thread; off: on the engine's thread",
  },
  {
    flag: "provider-concurrency",
    env: "JOURNEYS_PROVIDER_CONCURRENCY",
    default: String(DEFAULT_PROVIDER_CONCURRENCY),
    help: "provider calls in flight at once per provider (1,024 in all); a provider's own rate limit, if configured, still applies",
  },
  {
    flag: "reserve-mib",
    env: "JOURNEYS_RESERVE_MIB",
    default: "0",
    help: "MiB a smaller database file is grown to at start, as free pages the data fills before the file grows (0: none); 1100 or more also spares each commit a scan of SQLite's page cache while the data is under 1 GiB",
  },
  {
    flag: "heap-headroom",
    env: "JOURNEYS_HEAP_HEADROOM",
    default: String(SERVE_HEAP_HEADROOM_BYTES / 1024 / 1024),
    help: "MiB the JavaScript heap may grow past what survived a full collection before the next, when half again is less (0: half again only; more: fewer collections, more memory)",
  },
] as const;

export interface Running {
  app: FastifyInstance;
  engine: Engine;
  /** Metrics, tracing and logs of this server (the dispatcher reports to `observability.dispatcher`). */
  observability: Observability;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, starts the engine and the HTTP API; resolves once listening. */
export async function serve(options: ServeOptions, out: (line: string) => void): Promise<Running> {
  const logLevel = parseLogLevel(options.logLevel);
  const journalRetentionMs = parseRetention(options.journalRetention ?? "30d");
  const { store, log, connection } = openSqlite({
    path: options.db,
    backgroundCheckpoint: true,
    ...(options.reserveMib ? { reserveBytes: options.reserveMib * 1024 * 1024 } : {}),
    onCheckpointFailure: (error) => out(`warning: ${error.message}; SQLite checkpoints inline from now on`),
  });
  await store.migrate();
  const keys = new ApiKeys(store);
  if (options.apiKey) {
    if (!(await keys.resolve(options.apiKey)))
      await keys.create(options.project, "JOURNEYS_API_KEY", options.apiKey);
  } else if (!(await keys.hasAnyKey())) {
    const key = await keys.create(options.project);
    out(`Created project "${options.project}". Its API key (shown once, stored hashed):`);
    out(`  ${key}`);
  }
  const observability = new Observability({
    logLevel,
    ...(journalRetentionMs !== undefined ? { journalRetentionMs } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  // The delivery settings, unless the engine settings say otherwise (or run no dispatcher).
  const delivery = {
    ...(options.providerThread !== undefined ? { providerThread: options.providerThread } : {}),
    ...(options.providerConcurrency !== undefined
      ? { perProviderConcurrency: options.providerConcurrency }
      : {}),
  };
  const extra: Partial<Omit<EngineOptions, "store" | "log">> =
    Object.keys(delivery).length === 0 || options.engine?.delivery === false
      ? (options.engine ?? {})
      : { ...options.engine, delivery: { ...delivery, ...options.engine?.delivery } };
  const engine = new Engine({
    store,
    log,
    partitions: options.partitions,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.eventHistory ? { history: options.eventHistory } : {}),
    ...(options.maxBacklog !== undefined ? { maxBacklog: options.maxBacklog } : {}),
    ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}),
    ...(options.quietUsers !== undefined ? { quietUsers: options.quietUsers } : {}),
    ...extra,
    ...observedEngine(observability, extra),
  });
  await engine.start();
  observability.attach(engine, { projects: () => keys.projects(), sqlite: connection });
  const app = await buildServer({
    engine,
    keys,
    logger: logLevel === "silent" ? false : loggerOptions(logLevel),
    plugins: observability.plugins(),
    instrument: observability.instrument(),
  });
  const url = await app.listen({ port: options.port, host: options.host });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      await engine.stop();
      await observability.close();
      await store.close();
    })();
    return closing;
  };
  return { app, engine, observability, url, close };
}

/** Engine hooks feeding observability, composed with hooks the caller passed in `engine`. */
function observedEngine(
  observability: Observability,
  extra: Partial<Omit<EngineOptions, "store" | "log">>,
): Partial<EngineOptions> {
  const hooks = observability.engineHooks();
  const metrics = observability.dispatcher;
  const delivery = extra.delivery;
  return {
    ...hooks,
    onBatch: (batch) => {
      hooks.onBatch(batch);
      extra.onBatch?.(batch);
    },
    onTimerFired: (latenessMs) => {
      hooks.onTimerFired(latenessMs);
      extra.onTimerFired?.(latenessMs);
    },
    onError: (error, where) => {
      hooks.onError(error, where);
      extra.onError?.(error, where);
    },
    onDeadLetters: (count) => {
      metrics.deadLetters(count);
      extra.onDeadLetters?.(count);
    },
    onIngest: (project, accepted, duplicates) => {
      hooks.onIngest(project, accepted, duplicates);
      extra.onIngest?.(project, accepted, duplicates);
    },
    ...(delivery === false
      ? {}
      : {
          delivery: {
            ...delivery,
            observer: {
              attempt: (info) => {
                metrics.attempt(info);
                delivery?.observer?.attempt(info);
              },
            },
            span: (attempt) => startDeliverySpan(observability.tracing, attempt),
            onBreaker: (provider, state) => {
              metrics.breaker(provider, state);
              delivery?.onBreaker?.(provider, state);
            },
          },
        }),
  };
}
