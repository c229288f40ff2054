import { performActions } from "./actions.js";
import type { AdvanceContext } from "./advance.js";
import type { Catalog, CompiledEdge, CompiledJourney } from "./catalog.js";
import { quietHoursEnd } from "./clock-time.js";
import type { EvalContext, Watch } from "./condition.js";
import { eventDocument, keyOf, watchUntil } from "./condition.js";
import { formatDuration } from "./duration.js";
import type { AdvanceResult, Effect } from "./effect.js";
import { stableId } from "./hash.js";
import { recordHistory } from "./history.js";
import { describeInput, type EnterInput, type EventInput, type Input, type ProfileInput } from "./input.js";
import type { JsonObject } from "./model.js";
import type { Instance, JournalKind, Millis, Profile } from "./state.js";

const DEFAULT_MAX_STEPS = 100;

/** One `advance()` call in progress: copy-on-write user state plus the effects collected so far. */
export class Run {
  readonly now: Millis;
  readonly catalog: Catalog;
  readonly cause: string;
  profile: Profile | undefined;
  private instances: Instance[];
  private readonly effects: Effect[] = [];
  private readonly maxSteps: number;
  /** Attributes changed by `update` actions: other instances are re-evaluated once at the end. */
  attributesChanged = false;

  constructor(
    context: AdvanceContext,
    readonly input: Input,
    /** Set by `quietUntil` only: collects when the time parts evaluated can next change. */
    readonly watch?: Watch,
  ) {
    this.now = context.now;
    this.catalog = context.catalog;
    this.profile = context.profile;
    this.instances = context.instances.slice();
    this.maxSteps = context.maxSteps ?? DEFAULT_MAX_STEPS;
    this.cause = describeInput(input);
  }

  get userId(): string {
    return this.input.userId;
  }

  /** The event being processed, if the input is one (templates see it as `event`). */
  get event(): EventInput | undefined {
    return this.input.kind === "event" ? this.input : undefined;
  }

  result(): AdvanceResult {
    return { profile: this.profile, instances: this.instances, effects: this.effects };
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  journal(instance: Instance | undefined, kind: JournalKind, reason: string, data?: JsonObject): void {
    this.effects.push({
      type: "journal",
      line: {
        at: this.now,
        userId: this.userId,
        journeyId: instance?.journeyId,
        version: instance?.version,
        entryId: instance?.entryId,
        node: instance?.node,
        kind,
        reason,
        cause: this.cause,
        ...(data ? { data } : {}),
      },
    });
  }

  /** A journal line about an instance that does not change it. */
  note(instance: Instance, kind: JournalKind, reason: string): void {
    this.journal(instance, kind, reason);
  }

  ignore(journeyId: string, reason: string): void {
    this.effects.push({
      type: "journal",
      line: { at: this.now, userId: this.userId, journeyId, kind: "ignored", reason, cause: this.cause },
    });
  }

  instancesSnapshot(): readonly Instance[] {
    return this.instances.slice();
  }

  find(journeyId: string, key: string): Instance | undefined {
    for (const instance of this.instances) {
      if (instance.journeyId === journeyId && instance.key === key) return instance;
    }
    return undefined;
  }

  /** Replaces (or adds) the instance with the same journey and key. */
  put(instance: Instance): void {
    const i = this.instances.findIndex((x) => x.journeyId === instance.journeyId && x.key === instance.key);
    if (i >= 0) this.instances[i] = instance;
    else this.instances.push(instance);
  }

  setProfile(profile: Profile): void {
    this.profile = profile;
    this.effects.push({ type: "profile.updated", profile });
  }

  ensureProfile(): Profile {
    if (this.profile) return this.profile;
    const profile: Profile = {
      id: this.userId,
      attributes: {},
      channels: {},
      history: {},
      messages: [],
      segments: [],
      createdAt: this.now,
      updatedAt: this.now,
    };
    this.setProfile(profile);
    return profile;
  }

  private requireProfile(): Profile {
    return this.profile ?? this.ensureProfile();
  }

  zoneFor(journey: CompiledJourney): string {
    return this.profile?.timezone ?? journey.zone;
  }

  evalContext(journey: CompiledJourney, instance: Instance, input: Input | undefined): EvalContext {
    return {
      now: this.now,
      input,
      profile: this.requireProfile(),
      instance,
      zone: this.zoneFor(journey),
      segments: this.catalog.segments,
      watch: this.watch,
    };
  }

  /** Adds an event occurrence to the history summary (by name and by tracked filters). */
  recordEvent(event: EventInput): void {
    const profile = this.requireProfile();
    const { history, performedNames } = this.catalog;
    // In "referenced" mode an event no condition counts changes no state: nothing to write.
    if (history === "referenced" && !performedNames.has(event.name)) return;
    const keys = [event.name];
    const trackers = this.catalog.trackers.get(event.name);
    if (trackers) {
      const doc = eventDocument(event);
      for (const tracker of trackers) if (tracker.match(doc)) keys.push(tracker.key);
    }
    this.setProfile({
      ...profile,
      history: recordHistory(profile.history, keys, event.timestamp),
      updatedAt: this.now,
    });
  }

  applyProfile(input: ProfileInput): void {
    const profile = this.requireProfile();
    const attributes = { ...profile.attributes, ...(input.attributes ?? {}) };
    for (const name of input.unset ?? []) delete attributes[name];
    const channels = { ...profile.channels };
    for (const [channel, address] of Object.entries(input.channels ?? {})) {
      channels[channel] = { ...channels[channel], ...address };
    }
    this.setProfile({
      ...profile,
      attributes,
      channels,
      timezone: input.timezone ?? profile.timezone,
      updatedAt: this.now,
    });
  }

  /** Current instance of the journey for this instance's key (it may have changed during the run). */
  private current(instance: Instance): Instance | undefined {
    return this.find(instance.journeyId, instance.key);
  }

  /** An event reaches an instance: exits, goals, then its edges. */
  offerEvent(snapshot: Instance, event: EventInput): void {
    const journey = this.catalog.journeys.get(snapshot.journeyId);
    let instance = this.current(snapshot);
    if (!journey || !instance) return;
    if (instance.status === "exited") {
      this.convertIfGoal(journey, instance, event, true);
      return;
    }
    instance = this.syncVersion(journey, instance);
    if (!instance) return;
    // The goal is counted before exits: a purchase that ends the journey still converts it.
    if (this.convertIfGoal(journey, instance, event, false)) return;
    instance = this.current(instance) ?? instance;
    const exit = journey.exits.find((candidate) => candidate.match(event, instance));
    if (exit) {
      this.exit(instance, exit.label);
      return;
    }
    if (journey.status === "paused" || instance.status === "held") return;
    this.settle(journey, instance, event);
  }

  /** Counts a conversion once, within the goal window; returns true when the instance exited on it. */
  private convertIfGoal(
    journey: CompiledJourney,
    instance: Instance,
    event: EventInput,
    exited: boolean,
  ): boolean {
    const goal = journey.goal;
    if (!goal || instance.converted !== undefined || !goal.match(event, instance)) return false;
    if (goal.withinMs !== undefined && this.now - instance.enteredAt > goal.withinMs) return false;
    const converted = { ...instance, converted: this.now };
    this.put(converted);
    this.emit({ type: "instance.converted", instance: converted });
    this.journal(
      converted,
      "converted",
      `${goal.label} reached ${formatDuration(this.now - instance.enteredAt)} after entry`,
    );
    if (goal.exit && !exited) {
      this.exit(converted, `${goal.label} reached`);
      return true;
    }
    return false;
  }

  /**
   * Brings an instance to the journey's published version: same node id, else the `migrate`
   * map, else it exits with a reason. Archived journeys end their instances.
   */
  syncVersion(journey: CompiledJourney, instance: Instance): Instance | undefined {
    if (journey.status === "archived") {
      this.exit(instance, "journey archived");
      return undefined;
    }
    if (instance.version === journey.version) return instance;
    const from = instance.version;
    if (journey.nodes.has(instance.node)) {
      const migrated = { ...instance, version: journey.version };
      this.put(migrated);
      this.emit({ type: "instance.updated", instance: migrated });
      this.journal(
        migrated,
        "migrated",
        `version ${from} -> ${journey.version}, stays on node ${instance.node}`,
      );
      return migrated;
    }
    const target = journey.migrate[instance.node];
    if (target !== undefined && journey.nodes.has(target)) {
      const versioned = { ...instance, version: journey.version };
      this.journal(
        versioned,
        "migrated",
        `version ${from} -> ${journey.version}, node ${instance.node} -> ${target}`,
      );
      return this.arrive(journey, versioned, target, undefined);
    }
    this.exit(
      { ...instance, version: journey.version },
      `node ${instance.node} no longer exists in version ${journey.version} and the migrate map has no target`,
    );
    return undefined;
  }

  exit(instance: Instance, reason: string): void {
    this.cancelTimer(instance);
    const exited: Instance = {
      ...instance,
      status: "exited",
      exitedAt: this.now,
      exitReason: reason,
      timerId: undefined,
      timerDue: undefined,
    };
    this.put(exited);
    this.emit({ type: "instance.exited", instance: exited, reason });
    this.journal(exited, "exited", reason);
  }

  private cancelTimer(instance: Instance): void {
    if (instance.timerId !== undefined) {
      // timerId and timerDue are set and cleared together. Were the due ever missing, the row
      // would outlive its cancellation until it came due, and be dropped then as stale.
      const due = instance.timerDue ?? 0;
      this.emit({ type: "timer.cancelled", timerId: instance.timerId, userId: instance.userId, due });
    }
  }

  /** A timer row was consumed (fired, or found stale): the store deletes it in this commit. */
  timerFired(userId: string, timerId: string, due: Millis): void {
    this.emit({ type: "timer.cancelled", timerId, userId, due });
  }

  /** The instance's own timer fired: release a quiet-hours hold or re-evaluate time edges. */
  onOwnTimer(snapshot: Instance): void {
    const journey = this.catalog.journeys.get(snapshot.journeyId);
    if (!journey) return;
    const cleared: Instance = { ...snapshot, timerId: undefined, timerDue: undefined };
    this.put(cleared);
    const instance = this.syncVersion(journey, cleared);
    if (!instance) return;
    if (journey.status === "paused") {
      this.emit({ type: "instance.updated", instance });
      this.journal(instance, "held", "journey paused: waiting for resume");
      return;
    }
    if (instance.status === "held") {
      const released: Instance = { ...instance, status: "active", nodeAt: this.now };
      this.put(released);
      this.emit({ type: "instance.updated", instance: released });
      this.journal(released, "moved", "quiet hours ended");
      const after = performActions(this, journey, released);
      if (after.status === "active") this.settle(journey, after, undefined);
      return;
    }
    this.settle(journey, instance, this.input);
  }

  /** Re-evaluates an instance after its journey changed (publish, pause, resume, archive). */
  refresh(snapshot: Instance): void {
    const journey = this.catalog.journeys.get(snapshot.journeyId);
    const instance = this.current(snapshot);
    if (!journey || !instance || instance.status === "exited") return;
    const synced = this.syncVersion(journey, instance);
    if (!synced || journey.status === "paused" || synced.status !== "active") return;
    this.settle(journey, synced, undefined);
  }

  /** Re-evaluates every active instance (after a profile change). */
  reevaluateAll(): void {
    for (const snapshot of this.instancesSnapshot()) {
      const journey = this.catalog.journeys.get(snapshot.journeyId);
      const instance = this.current(snapshot);
      if (!journey || !instance || instance.status !== "active" || journey.status !== "active") continue;
      const synced = this.syncVersion(journey, instance);
      if (synced && synced.status === "active") this.settle(journey, synced, undefined);
    }
  }

  /** Re-evaluation once more when `update` actions changed attributes during this run. */
  afterProfileChanges(): void {
    if (!this.attributesChanged) return;
    this.reevaluateAll();
    this.checkSegmentEntries(false);
    // A second round of changes is not chased: the bound keeps a bad graph from spinning.
    this.attributesChanged = false;
  }

  engage(instance: Instance, bits: number, status: string): void {
    const engaged: Instance = { ...instance, engagement: instance.engagement | bits };
    this.put(engaged);
    this.emit({ type: "instance.updated", instance: engaged });
    this.journal(engaged, "engagement", `message ${status}`);
    const journey = this.catalog.journeys.get(instance.journeyId);
    if (journey?.status !== "active" || engaged.status !== "active") return;
    const synced = this.syncVersion(journey, engaged);
    if (synced && synced.status === "active") this.settle(journey, synced, this.input);
  }

  /**
   * Takes edges while one holds (first match wins, in order), running each node's actions on
   * arrival; when none holds, sets one timer for the earliest moment a time edge can hold.
   */
  settle(journey: CompiledJourney, start: Instance, trigger: Input | undefined): void {
    let instance = start;
    let input = trigger;
    for (let steps = 0; ; steps++) {
      const node = journey.nodes.get(instance.node);
      if (!node || node.edges.length === 0) {
        this.exit(instance, node ? `completed at ${instance.node}` : `node ${instance.node} missing`);
        return;
      }
      const ctx = this.evalContext(journey, instance, input);
      const edge = node.edges.find((candidate) => candidate.when === undefined || candidate.when.holds(ctx));
      if (!edge) {
        this.scheduleTimer(journey, instance, node.edges, ctx);
        return;
      }
      if (steps >= this.maxSteps) {
        this.journal(instance, "error", `more than ${this.maxSteps} steps for one input: stopped`);
        this.exit(instance, "step limit reached");
        return;
      }
      const moved = this.arrive(journey, instance, edge.to, edge);
      if (moved.status !== "active") return;
      instance = moved;
      input = undefined;
    }
  }

  /** Moves an instance to a node (via an edge, a migration or entry) and runs its actions. */
  arrive(journey: CompiledJourney, instance: Instance, to: string, edge: CompiledEdge | undefined): Instance {
    this.cancelTimer(instance);
    const from = instance.node;
    const moved: Instance = {
      ...instance,
      node: to,
      nodeAt: this.now,
      step: instance.step + 1,
      engagement: 0,
      status: "active",
      timerId: undefined,
      timerDue: undefined,
    };
    this.put(moved);
    this.emit({ type: "instance.moved", instance: moved, from, edge: edge?.index ?? -1 });
    const why = edge
      ? `edge ${edge.index} from ${from}: ${edge.when?.label ?? "always"}`
      : `migrated from ${from}`;
    this.journal(moved, "moved", why);
    return this.land(journey, moved);
  }

  /** On arrival: hold through quiet hours if the node sends, else perform its actions. */
  land(journey: CompiledJourney, instance: Instance): Instance {
    const node = journey.nodes.get(instance.node);
    if (node?.sends && journey.quietHours) {
      const { from, to } = journey.quietHours;
      const until = quietHoursEnd(this.now, from, to, this.zoneFor(journey));
      if (until !== undefined) {
        const timerId = stableId(journey.id, instance.key, instance.entryId, instance.step, until);
        const held: Instance = { ...instance, status: "held", timerId, timerDue: until };
        this.put(held);
        this.emit({ type: "instance.updated", instance: held });
        this.emit({
          type: "timer.set",
          timer: { id: timerId, due: until, userId: this.userId, journeyId: journey.id, key: instance.key },
        });
        this.journal(held, "held", `quiet hours: sends wait ${formatDuration(until - this.now)}`, { until });
        return held;
      }
    }
    return performActions(this, journey, instance);
  }

  private scheduleTimer(
    journey: CompiledJourney,
    instance: Instance,
    edges: readonly CompiledEdge[],
    ctx: EvalContext,
  ): void {
    let due: Millis | undefined;
    for (const edge of edges) {
      const at = edge.when?.earliest(ctx);
      if (at === undefined || at <= this.now) continue;
      // An edge's earliest moment drops out of the due once it has passed.
      watchUntil(ctx, at);
      if (due === undefined || at < due) due = at;
    }
    if (due === instance.timerDue) return;
    this.cancelTimer(instance);
    if (due === undefined) {
      if (instance.timerId !== undefined) {
        const cleared = { ...instance, timerId: undefined, timerDue: undefined };
        this.put(cleared);
        this.emit({ type: "instance.updated", instance: cleared });
      }
      return;
    }
    const timerId = stableId(journey.id, instance.key, instance.entryId, instance.step, due);
    const waiting: Instance = { ...instance, timerId, timerDue: due };
    this.put(waiting);
    this.emit({ type: "instance.updated", instance: waiting });
    this.emit({
      type: "timer.set",
      timer: { id: timerId, due, userId: this.userId, journeyId: journey.id, key: instance.key },
    });
    this.journal(waiting, "waiting", `next check in ${formatDuration(due - this.now)}`, { until: due });
  }

  enterOnEvent(journey: CompiledJourney, event: EventInput): void {
    if (journey.entry.kind !== "event") return;
    if (journey.entry.where && !journey.entry.where(eventDocument(event))) return;
    const key = keyOf(event, journey.keyPath);
    if (key === undefined) {
      this.ignore(journey.id, `entry event has no value at ${journey.keyPath}`);
      return;
    }
    this.enter(journey, key, event.id, event.properties);
  }

  enterOnApi(journey: CompiledJourney, input: EnterInput): void {
    const key = journey.keyPath
      ? keyOf({ ...input, kind: "event", name: "", timestamp: this.now }, journey.keyPath)
      : "";
    if (key === undefined) {
      this.ignore(journey.id, `API entry has no value at ${journey.keyPath}`);
      return;
    }
    this.enter(journey, key, input.id, input.properties);
  }

  /**
   * Segment entries: enter when the user becomes a member (`onPublish`: when they already are).
   * Membership of entry segments is kept on the profile to see the transition.
   */
  enterOnSegment(journey: CompiledJourney, onPublish: boolean): void {
    if (journey.entry.kind !== "segment") return;
    const id = journey.entry.segment;
    const inside = this.inSegment(id, journey);
    const profile = this.requireProfile();
    const was = profile.segments.includes(id);
    if (inside !== was) {
      const segments = inside ? [...profile.segments, id] : profile.segments.filter((s) => s !== id);
      this.setProfile({ ...profile, segments });
    }
    if (inside && (onPublish || !was))
      this.enter(
        journey,
        "",
        `segment:${id}:${this.input.kind === "timer" ? this.input.timerId : this.input.id}`,
        {},
      );
  }

  checkSegmentEntries(onPublish: boolean): void {
    for (const journey of this.catalog.segmentEntries) this.enterOnSegment(journey, onPublish);
  }

  private inSegment(id: string, journey: CompiledJourney): boolean {
    const segment = this.catalog.segments.get(id);
    if (!segment) return false;
    const probe = this.probeInstance(journey, "", "");
    return segment.holds(this.evalContext(journey, probe, undefined));
  }

  private probeInstance(journey: CompiledJourney, key: string, entryId: string): Instance {
    return {
      journeyId: journey.id,
      userId: this.userId,
      key,
      entryId,
      version: journey.version,
      node: journey.start,
      status: "active",
      enteredAt: this.now,
      nodeAt: this.now,
      step: 0,
      engagement: 0,
      entries: 0,
    };
  }

  /** Enters a journey, honouring one-instance-per-key, re-entry rules and the audience. */
  enter(journey: CompiledJourney, key: string, sourceId: string, properties: JsonObject): void {
    const existing = this.find(journey.id, key);
    if (existing && existing.status !== "exited") return;
    if (existing) {
      const { reentry } = journey;
      if (reentry.mode === "never") {
        this.ignore(journey.id, "already entered once and re-entry is never");
        return;
      }
      if (reentry.mode === "after" && this.now - existing.enteredAt < reentry.ms) {
        this.ignore(
          journey.id,
          `re-entry allowed ${formatDuration(existing.enteredAt + reentry.ms - this.now)} from now`,
        );
        return;
      }
    }
    const entryId = stableId(journey.id, this.userId, key, sourceId);
    const instance: Instance = {
      ...this.probeInstance(journey, key, entryId),
      entryProperties: properties,
      entries: (existing?.entries ?? 0) + 1,
    };
    if (journey.audience && !journey.audience.holds(this.evalContext(journey, instance, this.input))) {
      this.ignore(journey.id, `not in the audience (${journey.audience.label})`);
      return;
    }
    if (existing) this.cancelTimer(existing);
    this.put(instance);
    this.emit({ type: "instance.entered", instance });
    this.journal(instance, "entered", `entered on ${this.cause}`);
    const landed = this.land(journey, instance);
    if (landed.status === "active") this.settle(journey, landed, undefined);
  }
}
