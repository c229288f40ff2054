import type { UserState } from "../store/types.js";

/**
 * The executor's cache of user state, least recently used first out, bounded by weight rather
 * than by users: a user weighs one plus their instances, so a million users in ten waits each
 * cost what ten million users in one would, and memory stays flat as instances pile up.
 */
export class UserCache {
  private readonly entries = new Map<string, { state: UserState; weight: number }>();
  private total = 0;

  /** @param capacity the weight kept after `evict()` (users plus their instances). */
  constructor(readonly capacity: number) {}

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
