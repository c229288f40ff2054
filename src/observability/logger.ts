import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

/** Log levels `JOURNEYS_LOG_LEVEL` accepts. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths removed from every log line, at every level: credentials, and what users send or receive
 * (message payloads, rendered content, addresses, request bodies, event properties).
 */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers['x-api-key']",
  "headers.authorization",
  "headers.cookie",
  "*.headers.authorization",
  "authorization",
  "apiKey",
  "*.apiKey",
  "secret",
  "*.secret",
  "password",
  "*.password",
  "token",
  "*.token",
  "body",
  "*.body",
  "payload",
  "*.payload",
  "content",
  "*.content",
  "properties",
  "*.properties",
  "address",
  "*.address",
] as const;

/** An unknown level name. */
export class InvalidLogLevelError extends Error {
  readonly code = "INVALID_LOG_LEVEL";

  constructor(readonly level: string) {
    super(`unknown log level "${level}": expected one of ${LOG_LEVELS.join(", ")}`);
    this.name = "InvalidLogLevelError";
  }
}

/** Checks a level name (from a flag or the environment). */
export function parseLogLevel(text: string): LogLevel {
  const level = text.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new InvalidLogLevelError(text);
  return level as LogLevel;
}

/**
 * pino options for the server and the engine: JSON lines with an ISO time and the level as a
 * word, secrets and message bodies redacted. Fastify accepts the same object as its `logger`.
 */
export function loggerOptions(level: LogLevel): LoggerOptions & { level: LogLevel } {
  return {
    level,
    base: { service: "journeys" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
  };
}

/** The engine's logger (stdout unless a destination is given). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
