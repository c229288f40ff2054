import type { Store, StoredTimer, TimerCursor } from "../store/types.js";
import type { Clock } from "./clock.js";
import { TimerHeap } from "./timer-heap.js";

export interface TimerServiceOptions {
  store: Store;
  clock: Clock;
  /** How far ahead timers are held in memory (default 60 s); the rest stay on disk. */
  horizonMs?: number;
  /** Timers loaded from the store per query (default 1,000; the loader yields between pages). */
  pageSize?: number;
  /** Called with each timer's lateness (fired minus due) in ms. */
  onFire?: (latenessMs: number) => void;
}

/**
 * Durable timers with the near future in memory: a min-heap holds every timer due within the
 * horizon, one `setTimeout` is armed for the earliest, and due timers are handed to the
 * partition's executor. Far timers stay in the store and are loaded as the horizon advances.
 * A timer is never handed over before its due time; one that came due while the process was
 * down is handed over at once on start.
 */
export class TimerService {
  onDue: ((partition: number) => void) | undefined;
  private readonly heap = new TimerHeap();
  private readonly due = new Map<number, StoredTimer[]>();
  private readonly horizonMs: number;
  private readonly pageSize: number;
  private loadedUntil = Number.NEGATIVE_INFINITY;
  /** While a load is in flight, timers committed up to here are held too. */
  private loadingUntil = Number.NEGATIVE_INFINITY;
  /**
   * Timers committed while a load is in flight, inside the range it reads: a page read after their
   * commit holds them too, and must not hand them over a second time (a duplicate costs the
   * executor a whole input: the user read, advance() and a commit).
   */
  private heldWhileLoading: Set<string> | undefined;
  private loadsInFlight = 0;
  private armed: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private loader: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: TimerServiceOptions) {
    this.horizonMs = options.horizonMs ?? 60_000;
    this.pageSize = options.pageSize ?? 1_000;
  }

  /** Loads the near future (and anything overdue) and starts firing. */
  async start(): Promise<void> {
    await this.loadAhead();
    this.loader = setInterval(() => {
      this.loadAhead().catch(() => undefined);
    }, this.horizonMs / 2);
    this.loader.unref();
    this.fire();
  }

  /** Re-reads the clock now (after a simulated clock jumped forward): loads and fires what came due. */
  async poke(): Promise<void> {
    await this.loadAhead();
    this.fire();
  }

  stop(): void {
    this.stopped = true;
    if (this.armed) clearTimeout(this.armed);
    if (this.loader) clearInterval(this.loader);
  }

  /** Timers in memory (near future plus due and not yet taken). */
  get inMemory(): number {
    let size = this.heap.size;
    for (const list of this.due.values()) size += list.length;
    return size;
  }

  /** A timer was committed: hold it if it falls inside the loaded horizon. */
  scheduled(timer: StoredTimer): void {
    // A timer fired twice is harmless (the second finds it stale); a timer never fired is not.
    if (timer.due > Math.max(this.loadedUntil, this.loadingUntil)) return;
    if (this.heldWhileLoading && timer.due > this.loadedUntil) this.heldWhileLoading.add(timerKey(timer));
    this.heap.push(timer);
    if (timer.due < this.armedFor) this.arm();
  }

  /** Gives back timers whose batch failed to commit, to be taken again. */
  add(timer: StoredTimer): void {
    this.enqueueDue(timer);
  }

  /** Takes up to `max` due timers of a partition. */
  takeDue(partition: number, now: number, max: number): StoredTimer[] {
    this.collect(now);
    const list = this.due.get(partition);
    if (!list || list.length === 0) return [];
    if (list.length <= max) {
      this.due.delete(partition);
      return list;
    }
    return list.splice(0, max);
  }

  hasDue(partition: number, now: number): boolean {
    this.collect(now);
    return (this.due.get(partition)?.length ?? 0) > 0;
  }

  /** Moves every heap timer due at or before `now` to its partition's due list. */
  private collect(now: number): Set<number> {
    const touched = new Set<number>();
    for (let top = this.heap.peek(); top && top.due <= now; top = this.heap.peek()) {
      this.heap.pop();
      this.enqueueDue(top);
      this.options.onFire?.(now - top.due);
      touched.add(top.partition);
    }
    return touched;
  }

  private enqueueDue(timer: StoredTimer): void {
    const list = this.due.get(timer.partition);
    if (list) list.push(timer);
    else this.due.set(timer.partition, [timer]);
  }

  private fire(): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    const touched = this.collect(now);
    for (const partition of this.due.keys()) touched.add(partition);
    for (const partition of touched) this.onDue?.(partition);
    this.arm();
  }

  private arm(): void {
    if (this.stopped) return;
    if (this.armed) clearTimeout(this.armed);
    const top = this.heap.peek();
    if (!top) {
      this.armed = undefined;
      this.armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    this.armedFor = top.due;
    // setTimeout never fires early on the monotonic clock; collect() re-checks against the wall clock.
    const delay = Math.max(0, top.due - this.options.clock.now());
    this.armed = setTimeout(() => this.fire(), delay);
  }

  /** Extends the in-memory horizon from the store, page by page. */
  private async loadAhead(): Promise<void> {
    const until = this.options.clock.now() + this.horizonMs;
    if (until <= this.loadedUntil) return;
    const from = this.loadedUntil;
    this.loadingUntil = until;
    this.heldWhileLoading ??= new Set();
    const held = this.heldWhileLoading;
    this.loadsInFlight++;
    try {
      await this.loadPages(from, until, held);
    } finally {
      if (--this.loadsInFlight === 0) this.heldWhileLoading = undefined;
    }
    this.loadedUntil = until;
    this.fire();
  }

  /** Pushes the stored timers due in (from, until], but those already held. */
  private async loadPages(from: number, until: number, held: ReadonlySet<string>): Promise<void> {
    let cursor: TimerCursor = { due: Number.isFinite(from) ? from : -1, userId: "\uffff", id: "\uffff" };
    if (!Number.isFinite(from)) cursor = { due: -1, userId: "", id: "" };
    for (;;) {
      const page = await this.options.store.timersBetween(cursor, until, this.pageSize);
      for (const timer of page) {
        if (held.size === 0 || !held.has(timerKey(timer))) this.heap.push(timer);
      }
      if (page.length < this.pageSize) break;
      const last = page[page.length - 1] as StoredTimer;
      cursor = { due: last.due, userId: last.userId, id: last.id };
      // The store answers synchronously: let due timers fire and requests run between pages.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

function timerKey(timer: StoredTimer): string {
  return `${timer.project}\u001f${timer.userId}\u001f${timer.id}`;
}
