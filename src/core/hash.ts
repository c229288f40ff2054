/**
 * Deterministic, dependency-free hashing for ids, idempotency keys and split buckets. Not
 * cryptographic: it must only be stable across processes and replays and spread well.
 */

/** 53-bit hash of a string (cyrb53). */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A 104-bit hex id of the given parts (joined with a separator that cannot appear in ids). */
export function stableId(...parts: readonly (string | number)[]): string {
  const text = parts.join("\u001f");
  return hash53(text, 1).toString(16).padStart(14, "0") + hash53(text, 2).toString(16).padStart(14, "0");
}

/** A bucket in [0, 100) for the given parts: the same parts always land in the same bucket. */
export function percentBucket(...parts: readonly (string | number)[]): number {
  return (hash53(parts.join("\u001f"), 7) % 10_000) / 100;
}

/** The partition of a user: users are spread over `partitions` by hash. */
export function partitionOf(project: string, userId: string, partitions: number): number {
  return hash53(`${project}\u001f${userId}`, 3) % partitions;
}
