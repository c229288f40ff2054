import { parseArgs } from "node:util";
import { explainCommand } from "./explain-command.js";
import { limitHeapGrowth, SERVE_HEAP_GROWING_PERCENT } from "./heap-growth.js";
import { keysCommand } from "./keys-command.js";
import { SERVE_SETTINGS, type ServeOptions, serve } from "./serve-command.js";
import { simulateCommand } from "./simulate-command.js";
import { validateCommand } from "./validate-command.js";

const USAGE = `journeys — real-time journey orchestration

usage:
  journeys serve [options]                      run the engine and the HTTP API (embedded SQLite)
  journeys validate JOURNEY.json [...]          check journeys; exit code 1 when invalid
  journeys simulate JOURNEY.json EVENTS.ndjson  run a journey over events with a virtual clock
  journeys keys create [--project NAME]         create an API key (printed once)
  journeys explain USER [JOURNEY]               tell what happened to a user and why (--db or --url)
  journeys help                                  this text

Run "journeys serve --help" for the server's settings.`;

function serveHelp(): string {
  const lines = [
    "journeys serve: run Journeys embedded on one SQLite file",
    "",
    "settings (flag / environment variable / default):",
  ];
  const flag = Math.max(...SERVE_SETTINGS.map((s) => s.flag.length));
  const env = Math.max(...SERVE_SETTINGS.map((s) => s.env.length));
  const value = Math.max(...SERVE_SETTINGS.map((s) => s.default.length), "(generated)".length);
  for (const s of SERVE_SETTINGS)
    lines.push(`  --${s.flag.padEnd(flag)} ${s.env.padEnd(env)} ${s.default.padEnd(value)} ${s.help}`);
  lines.push(
    `  ${"".padEnd(flag + 2)} ${"JOURNEYS_API_KEY".padEnd(env)} ${"(generated)".padEnd(value)} key of the default project, instead of a generated one`,
  );
  return lines.join("\n");
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Runs the CLI; resolves with the exit code (serve resolves only when stopped). */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return runServe(rest);
    case "validate": {
      const { values, positionals } = parse(rest, {
        templates: { type: "string" },
        segments: { type: "string" },
      });
      return validateCommand(positionals, values, out);
    }
    case "simulate": {
      const { values, positionals } = parse(rest, {
        templates: { type: "string" },
        segments: { type: "string" },
        json: { type: "boolean" },
        start: { type: "string" },
      });
      return simulateCommand(positionals, values, out);
    }
    case "keys": {
      const { values, positionals } = parse(rest, {
        project: { type: "string" },
        db: { type: "string" },
        name: { type: "string" },
      });
      return keysCommand(
        positionals,
        {
          db: values.db ?? process.env.JOURNEYS_DB ?? "./journeys.db",
          project: values.project ?? "default",
          name: values.name,
        },
        out,
      );
    }
    case "explain": {
      const { values, positionals } = parse(rest, {
        db: { type: "string" },
        url: { type: "string" },
        key: { type: "string" },
        project: { type: "string" },
        timezone: { type: "string" },
      });
      const key = values.key ?? process.env.JOURNEYS_API_KEY;
      return explainCommand(
        positionals,
        {
          db: values.db ?? process.env.JOURNEYS_DB ?? "./journeys.db",
          project: values.project ?? process.env.JOURNEYS_PROJECT ?? "default",
          ...(values.url !== undefined ? { url: values.url } : {}),
          ...(key !== undefined ? { key } : {}),
          ...(values.timezone !== undefined ? { timezone: values.timezone } : {}),
        },
        out,
      );
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      err(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parse<O extends ParseOptions>(args: readonly string[], options: O) {
  return parseArgs({
    args: [...args],
    options: { ...options, help: { type: "boolean" } } as O,
    allowPositionals: true,
    strict: true,
  });
}

async function runServe(args: readonly string[]): Promise<number> {
  const options: ParseOptions = { help: { type: "boolean", short: "h" } };
  for (const s of SERVE_SETTINGS) options[s.flag] = { type: "string" };
  const { values } = parseArgs({ args: [...args], options, strict: true });
  if (values.help) {
    out(serveHelp());
    return 0;
  }
  const setting = (flag: (typeof SERVE_SETTINGS)[number]["flag"]): string => {
    const spec = SERVE_SETTINGS.find((s) => s.flag === flag);
    const value = values[flag];
    return (
      (typeof value === "string" ? value : undefined) ?? process.env[spec?.env ?? ""] ?? spec?.default ?? ""
    );
  };
  if (!["all", "referenced"].includes(setting("event-history"))) {
    throw new CliError(`--event-history: expected all or referenced, got ${setting("event-history")}`);
  }
  /** A setting that must be a whole number from `min` up; `expected` says what it counts. */
  const whole = (flag: (typeof SERVE_SETTINGS)[number]["flag"], min: number, expected: string): number => {
    const value = Number(setting(flag));
    if (!Number.isInteger(value) || value < min)
      throw new CliError(`--${flag}: expected ${expected}, got ${setting(flag)}`);
    return value;
  };
  const maxBacklog = whole("max-backlog", 0, "a whole number of events (0: no limit)");
  const cacheSize = whole("cache-size", 1, "a whole number of users and instances (at least 1)");
  const quietUsers = whole("quiet-users", 0, "a whole number of users (0: off)");
  const heapHeadroom = whole("heap-headroom", 0, "a whole number of MiB (0: none)");
  const reserveMib = whole("reserve-mib", 0, "a whole number of MiB (0: none)");
  const providerConcurrency = whole("provider-concurrency", 1, "a whole number of calls (at least 1)");
  if (!["on", "off"].includes(setting("provider-thread")))
    throw new CliError(`--provider-thread: expected on or off, got ${setting("provider-thread")}`);
  const port = Number(setting("port"));
  const partitions = Number(setting("partitions"));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port: not a port number: ${setting("port")}`);
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 4096)
    throw new CliError(`--partitions: expected 1..4096`);
  const serveOptions: ServeOptions = {
    db: setting("db"),
    port,
    host: setting("host"),
    partitions,
    project: setting("project"),
    logLevel: setting("log-level"),
    journalRetention: setting("journal-retention"),
    ...(setting("public-url") ? { publicUrl: setting("public-url") } : {}),
    eventHistory: setting("event-history") === "all" ? "all" : "referenced",
    maxBacklog,
    cacheSize,
    quietUsers,
    providerThread: setting("provider-thread") === "on",
    providerConcurrency,
    reserveMib,
    ...(process.env.JOURNEYS_DELIVERY_LEASE_MS
      ? { engine: { delivery: { leaseMs: Number(process.env.JOURNEYS_DELIVERY_LEASE_MS) } } }
      : {}),
    ...(process.env.JOURNEYS_API_KEY ? { apiKey: process.env.JOURNEYS_API_KEY } : {}),
  };
  limitHeapGrowth(SERVE_HEAP_GROWING_PERCENT, heapHeadroom * 1024 * 1024);
  const running = await serve(serveOptions, out);
  out(`Journeys listening on ${running.url} (database ${serveOptions.db})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      out(`${signal}: stopping intake, finishing the batch in flight, closing the database`);
      running.close().then(resolve, (error) => {
        err(String(error));
        resolve();
      });
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

/** A usage error: printed without a stack trace. */
export class CliError extends Error {
  readonly code = "CLI_USAGE";
}

export async function run(argv: readonly string[]): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    if (error instanceof CliError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      err(`journeys: ${(error as Error).message}`);
      process.exitCode = 2;
      return;
    }
    err(`journeys: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  }
}
