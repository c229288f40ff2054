import type { Issue } from "../core/issue.js";

/** A provider configuration that does not validate; `issues` name JSON paths (`config.accountSid`). */
export class ProviderConfigError extends Error {
  readonly code = "PROVIDER_CONFIG_INVALID";
  constructor(
    readonly providerId: string,
    readonly issues: readonly Issue[],
  ) {
    super(
      `provider ${providerId}: ${issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ")}`,
    );
    this.name = "ProviderConfigError";
  }
}

/** An outgoing URL the guard will not call (private address, bad scheme); always a permanent failure. */
export class UrlRefusedError extends Error {
  readonly code = "URL_REFUSED";
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`refused to call ${url}: ${reason}`);
    this.name = "UrlRefusedError";
  }
}
