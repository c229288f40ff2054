/**
 * UTC offsets of IANA time zones, fast: one Intl formatter per zone and the offset memoised per
 * zone and quarter hour (every zone's transitions fall on a quarter hour, so the offset is
 * constant within one). Both caches memoise pure functions of their keys: results are the same
 * with or without them, which keeps the core deterministic. They are bounded.
 */

const QUARTER_HOUR = 900_000;
const MAX_OFFSETS = 200_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Offsets by zone, then by quarter hour since the epoch: no key string built per call. */
const offsets = new Map<string, Map<number, number>>();
let offsetCount = 0;

function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, format);
  }
  return format;
}

function computeOffset(zone: string, at: number): number {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter(zone).formatToParts(new Date(at))) {
    switch (part.type) {
      case "year":
        year = Number(part.value);
        break;
      case "month":
        month = Number(part.value);
        break;
      case "day":
        day = Number(part.value);
        break;
      case "hour":
        hour = Number(part.value);
        break;
      case "minute":
        minute = Number(part.value);
        break;
      case "second":
        second = Number(part.value);
        break;
    }
  }
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  return wall - Math.floor(at / 1000) * 1000;
}

/** The zone's offset from UTC at a moment, in milliseconds (local = utc + offset). */
export function zoneOffset(zone: string, at: number): number {
  const bucket = Math.floor(at / QUARTER_HOUR);
  let byBucket = offsets.get(zone);
  if (byBucket === undefined) {
    byBucket = new Map();
    offsets.set(zone, byBucket);
  }
  let offset = byBucket.get(bucket);
  if (offset === undefined) {
    offset = computeOffset(zone, bucket * QUARTER_HOUR);
    if (offsetCount >= MAX_OFFSETS) {
      for (const kept of offsets.values()) kept.clear();
      offsetCount = 0;
    }
    byBucket.set(bucket, offset);
    offsetCount++;
  }
  return offset;
}

/**
 * The UTC moment of a local wall-clock time (epoch ms as if the wall clock were UTC). A time
 * that exists twice (fall back) is the first of the two; a time skipped by the spring change
 * is the first moment after the gap.
 */
export function localToUtc(zone: string, wall: number): number {
  const before = zoneOffset(zone, wall - 86_400_000);
  const after = zoneOffset(zone, wall + 86_400_000);
  let best: number | undefined;
  for (const offset of before === after ? [before] : [before, after]) {
    const utc = wall - offset;
    if (zoneOffset(zone, utc) === offset && (best === undefined || utc < best)) best = utc;
  }
  if (best !== undefined) return best;
  // In a gap: the first quarter hour whose offset is the new one.
  let t = Math.floor((wall - Math.max(before, after)) / QUARTER_HOUR) * QUARTER_HOUR;
  const end = wall - Math.min(before, after);
  while (t < end && zoneOffset(zone, t) !== after) t += QUARTER_HOUR;
  return t;
}
