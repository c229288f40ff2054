import { it } from "node:test";
import type { StorageCase, StorageUnderTest } from "./conformance/case.js";
import { deliveryCases } from "./conformance/delivery-cases.js";
import { logCases } from "./conformance/log-cases.js";
import { stateCases } from "./conformance/state-cases.js";
import { tenantCases } from "./conformance/tenant-cases.js";
import { timerCases } from "./conformance/timer-cases.js";

export type { StorageUnderTest } from "./conformance/case.js";

/**
 * Registers, as node:test cases, the contract every Store and Log implementation must meet
 * (SQLite now, PostgreSQL and Kafka later, run unchanged); each case opens a fresh, empty storage.
 */
export function storeConformance(name: string, open: () => Promise<StorageUnderTest>): void {
  const test: StorageCase = (title, body) => {
    it(title, async () => {
      const storage = await open();
      try {
        await body(storage);
      } finally {
        await storage.cleanup();
      }
    });
  };
  logCases(name, test);
  stateCases(name, test);
  timerCases(name, test);
  deliveryCases(name, test);
  tenantCases(name, test);
}
