import type { ProviderBody } from "../channels/config.js";
import { createProvider } from "../channels/create-provider.js";
import type { Provider, ProviderOptions } from "../channels/provider.js";
import type { Channel, JsonObject } from "../core/model.js";
import type { Store } from "../store/types.js";
import { type BreakerOptions, type BreakerState, CircuitBreaker } from "./circuit-breaker.js";
import { InvalidProviderError, type ProviderThread } from "./provider-thread.js";
import { TokenBucket } from "./rate-limiter.js";

export const PROVIDER_DOC = "provider";

/** A stored provider: the channel provider's body plus the dispatcher's settings for it. */
export type ProviderDocument = ProviderBody & {
  /** Token bucket: at most `perSecond` calls per second, bursts of `burst`. */
  rateLimit?: { perSecond: number; burst?: number };
};

/** A provider ready to use: the client, its breaker and its rate limit. */
export interface ProviderHandle {
  /** `project/id`, for metrics and logs. */
  key: string;
  id: string;
  provider: Provider;
  breaker: CircuitBreaker;
  bucket: TokenBucket | undefined;
  /** Channel it was configured for (undefined: every channel its type serves). */
  channel: Channel | undefined;
}

/** Built-in provider for journey `webhook` actions when the project configured none. */
const ACTIONS_WEBHOOK = "webhook-actions";

/**
 * The channel providers of each project, built from `provider` documents and rebuilt when one
 * changes. Routes a delivery to its provider: the one named by the send action, else one
 * configured for the channel; webhook actions work with no configuration at all.
 */
export class ProviderRegistry {
  private readonly projects = new Map<string, Map<string, ProviderHandle>>();
  private readonly loading = new Map<string, Promise<Map<string, ProviderHandle>>>();

  constructor(
    private readonly store: Store,
    private readonly options: ProviderOptions & {
      breaker?: BreakerOptions;
      onBreaker?: (provider: string, state: BreakerState) => void;
      /** Builds the providers in this thread (their calls run there) instead of in this one. */
      thread?: ProviderThread;
    },
  ) {}

  /** Forgets a project's providers (after a change); closes their connections. */
  async invalidate(project: string): Promise<void> {
    const handles = this.projects.get(project);
    this.projects.delete(project);
    for (const handle of handles?.values() ?? []) await handle.provider.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const project of [...this.projects.keys()]) await this.invalidate(project);
  }

  /** The provider for a delivery, or undefined when the project has none for its channel. */
  async resolve(
    project: string,
    channel: Channel,
    providerId: string | undefined,
  ): Promise<ProviderHandle | undefined> {
    const handles = await this.load(project);
    if (providerId !== undefined) return handles.get(providerId);
    let fallback: ProviderHandle | undefined;
    for (const handle of handles.values()) {
      if (!handle.provider.channels.includes(channel) || handle.id === ACTIONS_WEBHOOK) continue;
      if (handle.channel === channel) return handle;
      fallback ??= handle;
    }
    if (fallback) return fallback;
    return channel === "webhook" ? handles.get(ACTIONS_WEBHOOK) : undefined;
  }

  private load(project: string): Promise<Map<string, ProviderHandle>> {
    const cached = this.projects.get(project);
    if (cached) return Promise.resolve(cached);
    // One build per project at a time: with a provider thread it spans several round trips,
    // and a second build would open every provider again (and leave the first ones open).
    let loading = this.loading.get(project);
    if (!loading) {
      loading = this.build(project).finally(() => this.loading.delete(project));
      this.loading.set(project, loading);
    }
    return loading;
  }

  private async build(project: string): Promise<Map<string, ProviderHandle>> {
    const handles = new Map<string, ProviderHandle>();
    const docs = await this.store.listDocuments(project, PROVIDER_DOC);
    const now = this.options.now();
    const entries: [string, JsonObject][] = docs.map((d) => [d.id, d.body]);
    entries.sort(([a], [b]) => a.localeCompare(b));
    entries.push([ACTIONS_WEBHOOK, { type: "webhook", config: {} }]);
    for (const [id, body] of entries) {
      const { rateLimit, ...spec } = body as unknown as ProviderDocument;
      try {
        const config = { id, ...spec } as never;
        const thread = this.options.thread;
        const provider = thread ? await thread.open(config) : createProvider(config, this.options);
        const key = `${project}/${id}`;
        handles.set(id, {
          key,
          id,
          provider,
          channel: spec.channel,
          breaker: new CircuitBreaker(this.options.breaker, (state) => this.options.onBreaker?.(key, state)),
          bucket: rateLimit
            ? new TokenBucket(rateLimit.perSecond, rateLimit.burst ?? rateLimit.perSecond, now)
            : undefined,
        });
      } catch (error) {
        // An invalid stored config (older schema) leaves that provider out; its deliveries wait
        // with a reason. A provider thread that failed is another matter: nothing is remembered,
        // and the next delivery builds the project's providers again.
        if (this.options.thread && !(error instanceof InvalidProviderError)) throw error;
      }
    }
    this.projects.set(project, handles);
    return handles;
  }
}
