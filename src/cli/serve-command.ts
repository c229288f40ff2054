import type { FastifyInstance } from "fastify";
import { ApiKeys } from "../api/auth.js";
import { buildServer } from "../api/server.js";
import { Engine, type EngineOptions } from "../runtime/engine.js";
import { openSqlite } from "../store/sqlite/open.js";

export interface ServeOptions {
  db: string;
  port: number;
  host: string;
  partitions: number;
  apiKey?: string;
  project: string;
  logLevel: string;
  /** Base URL the outside world reaches this server at (tracking links, Twilio signatures). */
  publicUrl?: string;
  /** Engine settings beyond the flags (tests and embedding: delivery backoff, breaker...). */
  engine?: Partial<Omit<EngineOptions, "store" | "log">>;
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
    flag: "public-url",
    env: "JOURNEYS_PUBLIC_URL",
    default: "",
    help: "public base URL (enables open/click tracking)",
  },
] as const;

export interface Running {
  app: FastifyInstance;
  engine: Engine;
  url: string;
  close(): Promise<void>;
}

/** Opens the database, starts the engine and the HTTP API; resolves once listening. */
export async function serve(options: ServeOptions, out: (line: string) => void): Promise<Running> {
  const { store, log } = openSqlite({ path: options.db });
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
  const engine = new Engine({
    store,
    log,
    partitions: options.partitions,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...options.engine,
    onError: (error, where) => out(`error in ${where}: ${(error as Error).stack ?? String(error)}`),
  });
  await engine.start();
  const app = await buildServer({
    engine,
    keys,
    logger: options.logLevel === "silent" ? false : { level: options.logLevel },
  });
  const url = await app.listen({ port: options.port, host: options.host });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await app.close();
      await engine.stop();
      await store.close();
    })();
    return closing;
  };
  return { app, engine, url, close };
}
