import type { LookupAddresses } from "../url-guard.js";

/** A public address (example.com's) that tests give out as a resolver's answer. */
export const PUBLIC_ADDRESS = "93.184.216.34";

/**
 * A resolver answering each round in turn (the last one from then on), counting the calls: a
 * name whose answer changes between the URL guard's check and the connection (DNS rebinding).
 */
export function dnsAnswers(...rounds: string[][]): { lookup: LookupAddresses; calls: () => number } {
  let calls = 0;
  const lookup: LookupAddresses = async () => {
    const round = rounds[Math.min(calls, rounds.length - 1)] ?? [];
    calls++;
    return round.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { lookup, calls: () => calls };
}
