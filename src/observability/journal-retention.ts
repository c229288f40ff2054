import { parseDuration } from "../core/duration.js";
import type { Clock } from "../runtime/clock.js";
import type { Store } from "../store/types.js";

/** A retention setting that is neither a duration nor `forever`. */
export class InvalidRetentionError extends Error {
  readonly code = "INVALID_RETENTION";

  constructor(readonly value: string) {
    super(`journal retention "${value}": expected a duration such as 30d or 12w, or "forever"`);
    this.name = "InvalidRetentionError";
  }
}

/** Milliseconds of journal to keep, from `30d`, `12w`, `1d12h`...; undefined for `forever` (or `off`, `0`). */
export function parseRetention(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value === "forever" || value === "off" || value === "0" || value === "") return undefined;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidRetentionError(text);
  return ms;
}

export interface JournalRetentionOptions {
  store: Pick<Store, "pruneJournal">;
  clock: Clock;
  /** Lines older than this are deleted. */
  retentionMs: number;
  /** Time between prunes (default 1 h); the first runs a minute after start. */
  intervalMs?: number;
  onPruned?: (lines: number) => void;
  onError?: (error: unknown) => void;
}

/** Deletes journal lines older than the retention, periodically, in the background. */
export class JournalRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: JournalRetentionOptions) {}

  start(): void {
    if (this.timer) return;
    const interval = this.options.intervalMs ?? 3_600_000;
    const tick = () => {
      this.prune().catch((error: unknown) => this.options.onError?.(error));
      this.timer = setTimeout(tick, interval);
      this.timer.unref();
    };
    // Not at once: startup has the log to catch up on first.
    this.timer = setTimeout(tick, Math.min(60_000, interval));
    this.timer.unref();
  }

  /** Stops the schedule and waits for a prune in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => 0);
  }

  /** Prunes now (one prune at a time); resolves with the number of lines deleted. */
  prune(): Promise<number> {
    this.running ??= (async () => {
      try {
        const lines = await this.options.store.pruneJournal(
          this.options.clock.now() - this.options.retentionMs,
        );
        if (lines > 0) this.options.onPruned?.(lines);
        return lines;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
