import type { UserState } from "../store/types.js";

/**
 * The executor's cache of user state, least recently used first out, bounded by weight rather
 * than by users: a user weighs one plus their instances, so a million users in ten waits each
 * cost what ten million users in one would, and memory stays flat as instances pile up.
 *
 * A user read from the store enters the cache only when seen before, recently (`admit`): a
 * user's first input in a while is served from the store and its state dies young. Caching
 * every user read cost more than it saved where most users are seen once (timers firing over
 * a million users, a uniform draw over them): each state kept outlived a young-generation
 * collection, was copied twice and promoted, then evicted, and those collections held the
 * engine's thread for tens of milliseconds.
 */
export class UserCache {
  private readonly entries = new Map<string, { state: UserState; weight: number }>();
  private total = 0;
  /** Keys seen lately and not cached, in two generations: `seen` fills, then replaces `older`. */
  private seen = new Set<string>();
  private older = new Set<string>();

  /**
   * @param capacity the weight kept after `evict()` (users plus their instances).
   * @param generation sightings of users not cached that `admit` remembers, at least (default:
   *   half the capacity; 0 admits every user on first sight).
   */
  constructor(
    readonly capacity: number,
    private readonly generation = Math.floor(capacity / 2),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Total weight held now (users plus instances). */
  get weight(): number {
    return this.total;
  }

  get(key: string): UserState | undefined {
    return this.entries.get(key)?.state;
  }

  /** Marks the user as just used, so eviction takes others first; false when not cached. */
  touch(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  /**
   * Whether a user read from the store should be cached: true when the key was seen within the
   * last `generation` to twice that many sightings of users not cached; records this sighting.
   */
  admit(key: string): boolean {
    if (this.generation <= 0 || this.seen.has(key) || this.older.has(key)) return true;
    if (this.seen.size >= this.generation) {
      this.older = this.seen;
      this.seen = new Set();
    }
    this.seen.add(key);
    return false;
  }

  set(key: string, state: UserState): void {
    const weight = 1 + state.instances.length;
    const previous = this.entries.get(key);
    if (previous) {
      this.total -= previous.weight;
      // Replacing in place keeps the recency the last touch gave it.
      previous.state = state;
      previous.weight = weight;
    } else {
      this.entries.set(key, { state, weight });
    }
    this.total += weight;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.total -= entry.weight;
    this.entries.delete(key);
  }

  /** Drops the least recently used users until the weight is within capacity. */
  evict(): void {
    if (this.total <= this.capacity) return;
    for (const [key, entry] of this.entries) {
      if (this.total <= this.capacity) break;
      this.total -= entry.weight;
      this.entries.delete(key);
    }
  }
}
