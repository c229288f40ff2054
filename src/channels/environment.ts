import type { Channel } from "../core/model.js";
import type { ProviderHttp } from "./provider-http.js";
import type { UrlGuard } from "./url-guard.js";

/** What every provider implementation is built with (see createProvider). */
export interface ProviderEnvironment {
  id: string;
  channels: readonly Channel[];
  http: ProviderHttp;
  guard: UrlGuard;
  now: () => number;
  timeoutMs: number;
}
