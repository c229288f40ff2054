import { hash64 } from "../core/hash.js";

/** Default number of users whose quiet-until moment is remembered (16 MiB). */
export const DEFAULT_QUIET_USERS = 1 << 20;

/** Entries per set: a user can be in any of the 4 slots of their set. */
const WAYS = 4;
/** `until` of an entry vouched for with no end (seconds; the table stores whole seconds). */
const FOREVER = 0xffffffff;

/**
 * Until when each user's quiet events may be skipped (src/core/quiet.ts), for the executor to
 * decide without reading the user. Fixed memory outside the JavaScript heap (16 bytes a user, so
 * the collector never walks it): a 4-way set-associative table keyed by a 64-bit hash of the
 * user's cache key. A full set forgets the entry that runs out first; a forgotten user is read
 * and run as usual. Each entry is tagged with the catalog it was computed under: a republished
 * journey or segment makes a new catalog, and every older entry stops counting.
 *
 * An entry only ever says "nothing would change": a lost entry costs a read, never a wrong skip.
 * Two users would have to share all 64 bits of the hash for one to be skipped on the other's
 * entry (with a million users, odds of about 1 in 30 million that any pair does).
 */
export class QuietUsers {
  private readonly low: Uint32Array;
  private readonly high: Uint32Array;
  /** Seconds since the epoch, rounded down (0: empty slot). */
  private readonly until: Uint32Array;
  private readonly catalog: Uint32Array;
  private readonly sets: number;
  private readonly hash = new Uint32Array(2);
  private readonly catalogIds = new WeakMap<object, number>();
  private nextCatalogId = 1;

  constructor(users: number = DEFAULT_QUIET_USERS) {
    // A power of two of sets, so a hash picks its set with a mask.
    let sets = 1;
    while (sets * WAYS < users) sets *= 2;
    this.sets = sets;
    const slots = sets * WAYS;
    this.low = new Uint32Array(slots);
    this.high = new Uint32Array(slots);
    this.until = new Uint32Array(slots);
    this.catalog = new Uint32Array(slots);
  }

  /** Users the table can hold. */
  get capacity(): number {
    return this.sets * WAYS;
  }

  /** True when `key`'s quiet events may be skipped at `now` under `catalog`. */
  quiet(key: string, catalog: object, now: number): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    const until = this.until[slot] as number;
    return this.catalog[slot] === this.catalogId(catalog) && (until === FOREVER || now < until * 1000);
  }

  /** Remembers that `key`'s quiet events change nothing until `until` under `catalog`. */
  set(key: string, catalog: object, until: number, now: number): void {
    // Whole seconds, rounded down: the table never vouches for a moment the core did not.
    const seconds = until === Number.POSITIVE_INFINITY ? FOREVER : Math.floor(until / 1000);
    if (seconds * 1000 <= now || seconds === 0) {
      this.delete(key);
      return;
    }
    const id = this.catalogId(catalog);
    let slot = this.find(key);
    if (slot < 0) slot = this.victim(id);
    this.low[slot] = this.hash[0] as number;
    this.high[slot] = this.hash[1] as number;
    this.until[slot] = Math.min(seconds, FOREVER);
    this.catalog[slot] = id;
  }

  /** Forgets `key` (its state changed, or may have, without a new moment computed). */
  delete(key: string): void {
    const slot = this.find(key);
    if (slot >= 0) this.until[slot] = 0;
  }

  /** Forgets every user. */
  clear(): void {
    this.until.fill(0);
  }

  /** The slot holding `key`, or -1; leaves the key's hash in `this.hash` (for `victim`). */
  private find(key: string): number {
    hash64(key, this.hash);
    const low = this.hash[0] as number;
    const high = this.hash[1] as number;
    const first = (low & (this.sets - 1)) * WAYS;
    for (let slot = first; slot < first + WAYS; slot++) {
      if (this.until[slot] !== 0 && this.low[slot] === low && this.high[slot] === high) return slot;
    }
    return -1;
  }

  /**
   * The slot a new entry takes in the set `find` last looked in: a free one, or one computed
   * under another catalog, else the one that runs out first.
   */
  private victim(catalogId: number): number {
    const first = ((this.hash[0] as number) & (this.sets - 1)) * WAYS;
    let best = first;
    for (let slot = first; slot < first + WAYS; slot++) {
      const until = this.until[slot] as number;
      if (until === 0 || this.catalog[slot] !== catalogId) return slot;
      if (until < (this.until[best] as number)) best = slot;
    }
    return best;
  }

  private catalogId(catalog: object): number {
    let id = this.catalogIds.get(catalog);
    if (id === undefined) {
      id = this.nextCatalogId++;
      this.catalogIds.set(catalog, id);
    }
    return id;
  }
}
