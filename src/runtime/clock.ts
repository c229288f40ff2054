/** The runtime's source of time, injected so tests and simulations can control it. */
export interface Clock {
  now(): number;
}

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };
