import type { Log, Store } from "../types.js";

/** A fresh, empty store and log under test, and how to dispose of them. */
export interface StorageUnderTest {
  store: Store;
  log: Log;
  cleanup(): Promise<void>;
}

/** Registers one conformance case, run against its own fresh storage. */
export type StorageCase = (title: string, body: (storage: StorageUnderTest) => Promise<void>) => void;
