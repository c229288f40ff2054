import type { JsonObject } from "../src/core/model.js";
import type { ChannelAddress } from "../src/core/state.js";
import { Prng } from "./lib/prng.js";
import { type BaseJourneys, loadBaseJourneys } from "./workload/examples.js";
import {
  type EventSpec,
  type JourneyVariant,
  journeyVariants,
  reactiveEventNames,
} from "./workload/journey-variants.js";
import { satisfyFilter, setPath } from "./workload/satisfy.js";

/**
 * The benchmark workload, generated deterministically from a seed: N users with profiles, 20
 * published journeys derived from examples/, and an event mix of ~70% events no journey
 * reacts to, ~20% that enter or advance journeys and ~10% that exit or convert. Users are
 * drawn uniformly.
 */

export interface WorkloadOptions {
  users: number;
  seed?: number;
  /** Number of published journeys (default 20). */
  journeys?: number;
  /** Shares of the three event classes (default 0.7 / 0.2 / 0.1). */
  mix?: { noise: number; engage: number; finish: number };
  /**
   * Events carry an `id`, as clients that retry send them (default: whether `BENCH_EVENT_IDS=1`
   * is set): the engine then records each id for deduplication (docs/storage.md), a write events
   * without one skip.
   */
  eventIds?: boolean;
}

/** An event as POST /v1/events takes it. */
export interface BenchEvent {
  id?: string;
  userId: string;
  name: string;
  properties: JsonObject;
}

/** A user's profile as a `profile` input carries it. */
export interface BenchProfile {
  userId: string;
  attributes: JsonObject;
  timezone: string;
  channels: { [channel: string]: ChannelAddress };
}

export type EventClass = "noise" | "engage" | "finish";

const NOISE_NAMES = [
  "page_viewed",
  "screen_viewed",
  "app_opened",
  "session_started",
  "button_clicked",
  "search_performed",
  "heartbeat",
  "scroll_depth",
  "video_progress",
  "settings_opened",
];
const TIMEZONES = [
  "UTC",
  "Europe/Paris",
  "Europe/London",
  "America/New_York",
  "America/Los_Angeles",
  "America/Sao_Paulo",
  "Asia/Tokyo",
  "Asia/Kolkata",
  "Australia/Sydney",
  "Africa/Lagos",
];
const FIRST_NAMES = ["Ada", "Grace", "Alan", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Radia", "Tim"];
const PLANS = ["free", "free", "free", "pro", "pro", "team"];
const COUNTRIES = ["FR", "US", "GB", "DE", "JP", "IN", "BR", "NG", "AU", "CA"];
/** Correlation keys are drawn from a few values per user so exits and moves find their instance. */
const KEY_VALUES = 3;

export class Workload {
  readonly users: number;
  readonly seed: number;
  readonly base: BaseJourneys;
  readonly journeys: JourneyVariant[];
  readonly noiseNames: string[];
  private readonly mix: { noise: number; engage: number; finish: number };
  readonly eventIds: boolean;
  private readonly engageSpecs: { variant: JourneyVariant; specs: EventSpec[] }[];
  private readonly finishSpecs: { variant: JourneyVariant; specs: EventSpec[] }[];

  constructor(options: WorkloadOptions) {
    this.users = options.users;
    this.seed = options.seed ?? 20_240_601;
    this.mix = options.mix ?? { noise: 0.7, engage: 0.2, finish: 0.1 };
    this.eventIds = options.eventIds ?? process.env.BENCH_EVENT_IDS === "1";
    this.base = loadBaseJourneys();
    this.journeys = journeyVariants(this.base.journeys, options.journeys ?? 20);
    const reactive = reactiveEventNames(this.journeys, this.base.segments);
    this.noiseNames = NOISE_NAMES.filter((name) => !reactive.has(name));
    if (this.noiseNames.length === 0) this.noiseNames.push("bench_noise");
    this.engageSpecs = this.journeys
      .map((variant) => ({ variant, specs: [...variant.entry, ...variant.entry, ...variant.advance] }))
      .filter((entry) => entry.specs.length > 0);
    this.finishSpecs = this.journeys
      .map((variant) => ({ variant, specs: variant.finish }))
      .filter((entry) => entry.specs.length > 0);
  }

  userId(index: number): string {
    return `user-${index}`;
  }

  /** The profile of user `index`: the same for a given seed whatever order users are made in. */
  profile(index: number): BenchProfile {
    const prng = new Prng((this.seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const userId = this.userId(index);
    const firstName = prng.pick(FIRST_NAMES);
    const signup = Date.UTC(2024, 0, 1) + prng.int(500) * 86_400_000;
    return {
      userId,
      attributes: {
        firstName,
        plan: prng.pick(PLANS),
        country: prng.pick(COUNTRIES),
        age: 18 + prng.int(60),
        lifetimeValue: Math.round(prng.float() * 50_000) / 100,
        signedUpAt: new Date(signup).toISOString(),
        renewalDate: new Date(signup + 365 * 86_400_000).toISOString(),
        marketingOptIn: prng.float() < 0.8,
      },
      timezone: prng.pick(TIMEZONES),
      channels: {
        push: { address: `fcm-token-${index.toString(36)}-${prng.u32().toString(36)}` },
        email: { address: `${firstName.toLowerCase()}.${index}@example.com` },
        sms: { address: `+1555${String(index % 10_000_000).padStart(7, "0")}` },
      },
    };
  }

  /** A deterministic stream of events over all users; `stream` separates concurrent clients. */
  events(stream: number): EventStream {
    const prng = new Prng((this.seed + Math.imul(stream + 1, 0x85ebca6b)) >>> 0);
    return new EventStream(this, prng, this.eventIds ? `s${this.seed}-${stream}-` : undefined);
  }

  /** The class of the next event, for a draw in [0, 1). */
  classify(draw: number): EventClass {
    if (draw < this.mix.noise || (this.engageSpecs.length === 0 && this.finishSpecs.length === 0))
      return "noise";
    if (draw < this.mix.noise + this.mix.engage || this.finishSpecs.length === 0) {
      return this.engageSpecs.length > 0 ? "engage" : "finish";
    }
    return "finish";
  }

  /** An event of `kind` for `userIndex`. */
  event(kind: EventClass, userIndex: number, prng: Prng): BenchEvent {
    const userId = this.userId(userIndex);
    if (kind === "noise") {
      return {
        userId,
        name: prng.pick(this.noiseNames),
        properties: { path: `/p/${prng.int(500)}`, durationMs: prng.int(30_000) },
      };
    }
    const pool = kind === "engage" ? this.engageSpecs : this.finishSpecs;
    const { specs } = prng.pick(pool);
    const spec = prng.pick(specs);
    const properties: JsonObject = {};
    if (spec.where) satisfyFilter(spec.where, prng, properties);
    if (spec.keyPath?.startsWith("properties.")) {
      setPath(properties, spec.keyPath.slice("properties.".length), `k${prng.int(KEY_VALUES)}`);
    }
    return { userId, name: spec.name, properties };
  }
}

/** Events of the workload mix, one after the other. */
export class EventStream {
  readonly counts: { [kind in EventClass]: number } = { noise: 0, engage: 0, finish: 0 };

  private sent = 0;

  constructor(
    private readonly workload: Workload,
    private readonly prng: Prng,
    /** Prefix of the ids events carry (unique per stream), or none. */
    private readonly idPrefix?: string,
  ) {}

  next(): BenchEvent {
    const kind = this.workload.classify(this.prng.float());
    this.counts[kind]++;
    const event = this.workload.event(kind, this.prng.int(this.workload.users), this.prng);
    if (this.idPrefix !== undefined) event.id = `${this.idPrefix}${this.sent}`;
    this.sent++;
    return event;
  }

  /** The next `count` events. */
  batch(count: number): BenchEvent[] {
    const out = new Array<BenchEvent>(count);
    for (let i = 0; i < count; i++) out[i] = this.next();
    return out;
  }
}
