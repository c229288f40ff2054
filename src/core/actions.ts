import type { CompiledAction, CompiledJourney } from "./catalog.js";
import { formatDuration } from "./duration.js";
import { stableId } from "./hash.js";
import type { Json, JsonObject } from "./model.js";
import type { Run } from "./run.js";
import type { DeliveryRequest, Instance, Profile, SentMessage } from "./state.js";
import type { TemplateScope } from "./template.js";

/** Messages remembered per user for frequency caps. */
const MESSAGE_MEMORY = 100;
/** Channels that need an address on the profile (webhook and slack can use the provider's). */
const ADDRESSED = new Set(["push", "email", "sms", "whatsapp"]);

/** Performs the actions of the node an instance just arrived on, in order. */
export function performActions(run: Run, journey: CompiledJourney, instance: Instance): Instance {
  const node = journey.nodes.get(instance.node);
  if (!node || node.actions.length === 0) return instance;
  for (const action of node.actions) perform(run, journey, instance, action);
  return instance;
}

function perform(run: Run, journey: CompiledJourney, instance: Instance, action: CompiledAction): void {
  switch (action.kind) {
    case "send":
      send(run, journey, instance, action);
      return;
    case "update":
      update(run, instance, action);
      return;
    case "webhook":
      webhook(run, journey, instance, action);
      return;
    case "emit": {
      const { content } = action.content.render(scope(run, journey, instance));
      const id = stableId(
        "emit",
        journey.id,
        run.userId,
        instance.entryId,
        instance.node,
        action.index,
        instance.step,
      );
      run.emit({
        type: "event.emitted",
        event: { id, userId: run.userId, name: action.event, properties: content, timestamp: run.now },
      });
      run.journal(instance, "emitted", `emitted ${action.event}`, { eventId: id });
      return;
    }
    default: {
      const never: never = action;
      throw new TypeError(`unknown action ${JSON.stringify(never)}`);
    }
  }
}

/** The Liquid scope of a message: `user`, `event` (the current input, if an event) and `journey`. */
export function scope(run: Run, journey: CompiledJourney, instance: Instance): TemplateScope {
  const profile = run.profile;
  const event = run.event;
  return {
    user: {
      ...(profile?.attributes ?? {}),
      id: run.userId,
      ...(profile?.timezone ? { timezone: profile.timezone } : {}),
    },
    ...(event ? { event: { name: event.name, properties: event.properties } } : {}),
    journey: {
      id: journey.id,
      name: journey.name,
      version: journey.version,
      entry: { properties: instance.entryProperties ?? {} },
    },
  };
}

function request(
  run: Run,
  journey: CompiledJourney,
  instance: Instance,
  action: CompiledAction & { kind: "send" | "webhook" },
  payload: JsonObject,
  extra: Partial<DeliveryRequest>,
): DeliveryRequest {
  return {
    idempotencyKey: stableId(
      journey.id,
      run.userId,
      instance.entryId,
      instance.node,
      action.index,
      instance.step,
    ),
    userId: run.userId,
    journeyId: journey.id,
    version: journey.version,
    entryId: instance.entryId,
    key: instance.key,
    nodeId: instance.node,
    actionIndex: action.index,
    channel: action.kind === "send" ? action.channel : "webhook",
    payload,
    notBefore: run.now,
    createdAt: run.now,
    ...(journey.maxAgeMs !== undefined ? { expiresAt: run.now + journey.maxAgeMs } : {}),
    ...(action.provider !== undefined ? { provider: action.provider } : {}),
    ...extra,
  };
}

function send(
  run: Run,
  journey: CompiledJourney,
  instance: Instance,
  action: CompiledAction & { kind: "send" },
): void {
  const profile = run.profile as Profile;
  const address = profile.channels[action.channel];
  const skip = skipReason(run, journey, profile, action.channel);
  const rendered = skip ? undefined : action.content.render(scope(run, journey, instance));
  const delivery = request(run, journey, instance, action, rendered?.content ?? {}, {
    ...(address?.address !== undefined ? { address: address.address } : {}),
    ...(skip ? { skipReason: skip } : {}),
  });
  run.emit({ type: "delivery", delivery });
  const what = `${action.channel}${action.template ? ` ${action.template}` : ""}`;
  if (skip) {
    run.journal(instance, "skipped", `${what} skipped: ${skip}`, { idempotencyKey: delivery.idempotencyKey });
    return;
  }
  const data: JsonObject = { idempotencyKey: delivery.idempotencyKey };
  if (rendered && rendered.missing.length > 0) data.missingVariables = rendered.missing;
  run.journal(instance, "sent", `${what} queued`, data);
  const message: SentMessage = { at: run.now, journeyId: journey.id, channel: action.channel };
  const messages = [...profile.messages, message].slice(-MESSAGE_MEMORY);
  run.setProfile({ ...profile, messages });
}

function skipReason(
  run: Run,
  journey: CompiledJourney,
  profile: Profile,
  channel: string,
): string | undefined {
  const address = profile.channels[channel];
  if (address?.subscribed === false) {
    return `unsubscribed from ${channel}${address.reason ? ` (${address.reason})` : ""}`;
  }
  if (ADDRESSED.has(channel) && !address?.address) return `no ${channel} address on the profile`;
  const cap = journey.frequencyCap;
  if (cap) {
    const since = run.now - cap.perMs;
    let count = 0;
    for (const message of profile.messages) {
      if (message.at > since && (cap.scope === "all" || message.journeyId === journey.id)) count++;
    }
    if (count >= cap.max) {
      return `frequency cap: ${count} messages in the last ${formatDuration(cap.perMs)} (max ${cap.max}${cap.scope === "journey" ? " from this journey" : ""})`;
    }
  }
  return undefined;
}

function update(run: Run, instance: Instance, action: CompiledAction & { kind: "update" }): void {
  const profile = run.profile as Profile;
  const attributes: JsonObject = { ...profile.attributes, ...(action.set ?? {}) };
  for (const name of action.unset ?? []) delete attributes[name];
  for (const [name, by] of Object.entries(action.increment ?? {})) {
    const current: Json | undefined = attributes[name];
    attributes[name] = (typeof current === "number" ? current : 0) + by;
  }
  run.setProfile({ ...profile, attributes, updatedAt: run.now });
  run.attributesChanged = true;
  const changed = [
    ...Object.keys(action.set ?? {}),
    ...(action.unset ?? []),
    ...Object.keys(action.increment ?? {}),
  ];
  run.journal(instance, "updated", `updated ${changed.join(", ")}`);
}

function webhook(
  run: Run,
  journey: CompiledJourney,
  instance: Instance,
  action: CompiledAction & { kind: "webhook" },
): void {
  const { content, missing } = action.content.render(scope(run, journey, instance));
  const delivery = request(run, journey, instance, action, content, {});
  run.emit({ type: "delivery", delivery });
  const data: JsonObject = { idempotencyKey: delivery.idempotencyKey };
  if (missing.length > 0) data.missingVariables = missing;
  run.journal(instance, "webhook", `webhook ${String(content.method ?? "POST")} queued`, data);
}
