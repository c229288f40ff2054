import type { Clock } from "../../src/runtime/clock.js";

/** A clock tests move by hand, so journeys with hours or days of waits run in milliseconds. */
export class ManualClock implements Clock {
  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
