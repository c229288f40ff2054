import type { LookupFunction } from "node:net";
import type { Channel } from "../core/model.js";
import type { ProviderHttp } from "./provider-http.js";
import type { UrlGuard } from "./url-guard.js";

/** What every provider implementation is built with (see createProvider). */
export interface ProviderEnvironment {
  id: string;
  channels: readonly Channel[];
  http: ProviderHttp;
  guard: UrlGuard;
  /**
   * Resolution for sockets a provider opens itself (SMTP), refusing private answers
   * (guardedLookup); unset when private targets are allowed.
   */
  socketLookup?: LookupFunction;
  now: () => number;
  timeoutMs: number;
}
