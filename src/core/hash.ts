/**
 * Deterministic, dependency-free hashing for ids, idempotency keys and split buckets. Not
 * cryptographic: it must only be stable across processes and replays and spread well.
 */

/** 53-bit hash of a string (cyrb53). */
export function hash53(text: string, seed = 0): number {
  mix(text, seed);
  return 4294967296 * (2097151 & (mixed[1] as number)) + (mixed[0] as number);
}

/** cyrb53's two 32-bit halves before it keeps 53 bits (64 bits in all), written to `out[0..1]`. */
export function hash64(text: string, out: Uint32Array, seed = 0): void {
  mix(text, seed);
  out[0] = mixed[0] as number;
  out[1] = mixed[1] as number;
}

/** The two 32-bit halves of cyrb53 (unsigned), written to `mixed` to allocate nothing. */
const mixed = new Uint32Array(2);

function mix(text: string, seed: number): void {
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
  mixed[0] = h1;
  mixed[1] = h2;
}

/** Two lowercase hex digits per byte value. */
const HEX_BYTE = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * `hash53(text, seed)` as 14 hex digits, zero-padded: the same string as
 * `hash53(text, seed).toString(16).padStart(14, "0")` without converting a double to base 16
 * (half a microsecond each, and ids are made on every entry, timer and send).
 */
function hash53Hex(text: string, seed: number): string {
  mix(text, seed);
  const high = (mixed[1] as number) & 2097151; // top 21 of the 53 bits: 6 hex digits
  const low = mixed[0] as number;
  return (
    HEX_BYTE[high >>> 16] +
    (HEX_BYTE[(high >>> 8) & 255] as string) +
    HEX_BYTE[high & 255] +
    HEX_BYTE[low >>> 24] +
    HEX_BYTE[(low >>> 16) & 255] +
    HEX_BYTE[(low >>> 8) & 255] +
    HEX_BYTE[low & 255]
  );
}

/** A 104-bit hex id of the given parts (joined with a separator that cannot appear in ids). */
export function stableId(...parts: readonly (string | number)[]): string {
  const text = parts.join("\u001f");
  return hash53Hex(text, 1) + hash53Hex(text, 2);
}

/** A bucket in [0, 100) for the given parts: the same parts always land in the same bucket. */
export function percentBucket(...parts: readonly (string | number)[]): number {
  return (hash53(parts.join("\u001f"), 7) % 10_000) / 100;
}

/** The partition of a user: users are spread over `partitions` by hash. */
export function partitionOf(project: string, userId: string, partitions: number): number {
  return hash53(`${project}\u001f${userId}`, 3) % partitions;
}
