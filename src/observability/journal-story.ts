import type { Edge, JourneyDefinition } from "../core/model.js";
import type { DeliveryStatus, JournalLine } from "../core/state.js";
import { awaitedInputs, describeMatch, shortPath } from "./filter-description.js";
import { ParagraphTime, StoryClock } from "./story-clock.js";

/** What became of a queued message (an outbox row), to finish its part of the story. */
export interface DeliveryOutcome {
  idempotencyKey: string;
  status: DeliveryStatus;
  attempts: number;
  reason?: string;
  lastError?: string;
  updatedAt: number;
}

/** What the story needs of an instance: its key and the properties it entered with. */
export interface InstanceFacts {
  journeyId: string;
  entryId: string;
  key: string;
  entryProperties?: { [key: string]: unknown };
}

export interface ExplainOptions {
  /** Whose story it is (default: the user of the first line). */
  userId?: string;
  /** IANA zone the times are told in (default UTC). */
  timezone?: string;
  /** Only this journey's lines. */
  journeyId?: string;
  /** Journey definitions by `id@version` (or `id` for any version): entry filters, edge labels. */
  definitions?: ReadonlyMap<string, JourneyDefinition>;
  /** The user's instances: correlation keys and entry properties. */
  instances?: readonly InstanceFacts[];
  /** The user's deliveries: what happened to each message after it was queued. */
  deliveries?: readonly DeliveryOutcome[];
}

/** One clause of a story; `arrow` names the node reached when no action on it says so. */
interface Item {
  text: string;
  notes: string[];
  arrow?: string;
}

/** The story of one journey entry (or of one line outside any entry). */
interface Paragraph {
  opening: string;
  prefix: string;
  items: Item[];
  time: ParagraphTime;
}

interface EntryStory {
  paragraph: Paragraph;
  journeyId: string;
  definition: JourneyDefinition | undefined;
  wait?: { at: number; until?: number; node?: string };
  lastSend?: Item;
  lastMove?: { item: Item; to: string; at: number; timed: boolean };
  lastAt: number;
  ended: boolean;
}

const ACTIONS = new Set(["sent", "skipped", "webhook", "updated", "emitted", "held"]);
const EDGE = /^edge (\d+) from (.+?): (.*)$/;

/**
 * Tells a user's journal as a story, one line per journey entry: "entered abandoned-cart at 10:02
 * on cart_updated (total 80 > 50); waited 30m; push sent 10:32 (delivered 10:32:01); no open in 2h;
 * email skipped at 12:32: unsubscribed from email". Pure: definitions, instances and deliveries,
 * when given, only make it more precise.
 */
export function explainJournal(lines: readonly JournalLine[], options: ExplainOptions = {}): string {
  const clock = new StoryClock(options.timezone ?? "UTC");
  const teller = new Teller(clock, options);
  for (const line of lines) {
    if (options.journeyId !== undefined && line.journeyId !== options.journeyId) continue;
    teller.tell(line);
  }
  return teller.render(options.userId ?? lines[0]?.userId);
}

class Teller {
  private readonly paragraphs: Paragraph[] = [];
  private readonly stories = new Map<string, EntryStory>();
  private readonly deliveries = new Map<string, DeliveryOutcome>();

  constructor(
    private readonly clock: StoryClock,
    private readonly options: ExplainOptions,
  ) {
    for (const delivery of options.deliveries ?? []) this.deliveries.set(delivery.idempotencyKey, delivery);
  }

  tell(line: JournalLine): void {
    if (line.journeyId === undefined) {
      const paragraph = this.paragraph(line.at, "");
      paragraph.items.push(
        item(
          `${line.kind === "error" ? "error" : line.kind} at ${paragraph.time.at(line.at)}: ${line.reason}`,
        ),
      );
      return;
    }
    if (line.entryId === undefined) {
      const paragraph = this.paragraph(line.at, "");
      const on = trigger(line.cause);
      paragraph.items.push(
        item(
          `did not enter ${line.journeyId} at ${paragraph.time.at(line.at)}${on ? ` on ${on}` : ""}: ${line.reason}`,
        ),
      );
      return;
    }
    const story = this.story(line);
    const moved = story.lastMove;
    // "waited 30m; push sent 10:32": after a wait, the action says where the user went.
    if (moved?.timed && ACTIONS.has(line.kind) && line.node === moved.to && line.at === moved.at)
      moved.item.arrow = undefined;
    if (line.kind !== "moved") story.lastMove = undefined;
    this.step(story, line);
    story.lastAt = line.at;
  }

  private step(story: EntryStory, line: JournalLine): void {
    const t = (at: number) => story.paragraph.time.at(at);
    const add = (text: string) => {
      const added = item(text);
      story.paragraph.items.push(added);
      return added;
    };
    switch (line.kind) {
      case "entered":
        add(this.entered(story, line));
        return;
      case "waiting":
        story.wait = {
          at: line.at,
          until: numberIn(line.data?.until),
          ...(line.node ? { node: line.node } : {}),
        };
        return;
      case "moved":
        this.moved(story, line);
        return;
      case "held": {
        const until = numberIn(line.data?.until);
        add(
          until !== undefined
            ? `held for quiet hours until ${t(until)}`
            : `held at ${t(line.at)}: ${line.reason}`,
        );
        return;
      }
      case "sent":
      case "webhook":
        story.lastSend = add(this.sent(story, line));
        return;
      case "skipped": {
        const split = line.reason.indexOf(" skipped: ");
        const what = split > 0 ? (line.reason.slice(0, split).split(" ")[0] ?? "message") : "message";
        const why = split > 0 ? line.reason.slice(split + " skipped: ".length) : line.reason;
        add(`${what} skipped at ${t(line.at)}: ${why}`);
        return;
      }
      case "engagement":
        this.engaged(story, line);
        return;
      case "updated":
        add(line.reason.replace(/^updated /, "set "));
        return;
      case "emitted":
        add(line.reason);
        return;
      case "converted": {
        const goal = /^goal (.+) reached (.+) after entry$/.exec(line.reason);
        add(
          goal
            ? `converted at ${t(line.at)} (${goal[1]}, ${goal[2]} after entry)`
            : `converted at ${t(line.at)}`,
        );
        return;
      }
      case "exited":
        add(exited(line.reason, t(line.at)));
        story.ended = true;
        story.wait = undefined;
        return;
      case "migrated": {
        const version = /-> (\d+)/.exec(line.reason)?.[1];
        add(
          version
            ? `moved to version ${version} at ${t(line.at)}`
            : `migrated at ${t(line.at)}: ${line.reason}`,
        );
        return;
      }
      case "ignored":
      case "error":
        add(`${line.kind === "error" ? "error" : "ignored"} at ${t(line.at)}: ${line.reason}`);
        return;
      default: {
        const never: never = line.kind;
        add(`${String(never)} at ${t(line.at)}: ${line.reason}`);
      }
    }
  }

  private entered(story: EntryStory, line: JournalLine): string {
    const definition = story.definition;
    const facts = this.options.instances?.find(
      (instance) => instance.journeyId === line.journeyId && instance.entryId === line.entryId,
    );
    const keyPath = definition && "key" in definition.entry ? definition.entry.key : undefined;
    const key = facts && facts.key !== "" ? ` (${keyPath ? shortPath(keyPath) : "key"} ${facts.key})` : "";
    let on = trigger(line.cause);
    if (definition && "segment" in definition.entry) {
      const joined = `joining segment ${definition.entry.segment}`;
      on = line.cause?.startsWith("journey ")
        ? `being in segment ${definition.entry.segment} at publish`
        : joined;
    }
    let why = "";
    if (definition && "event" in definition.entry && definition.entry.where && facts?.entryProperties) {
      const text = describeMatch(definition.entry.where, { properties: facts.entryProperties });
      if (text !== "") why = ` (${text})`;
    }
    return `entered ${story.journeyId}${key} at ${story.paragraph.time.at(line.at)}${on ? ` on ${on}` : ""}${why}`;
  }

  private moved(story: EntryStory, line: JournalLine): void {
    const to = line.node ?? "?";
    const edge = EDGE.exec(line.reason);
    let text: string;
    let timed = false;
    if (line.reason === "quiet hours ended") {
      text = `quiet hours ended ${story.paragraph.time.at(line.at)}`;
      timed = true;
    } else if (edge) {
      const from = edge[2] as string;
      const index = Number(edge[1]);
      const edges: readonly Edge[] = story.definition?.nodes[from]?.edges ?? [];
      const label = edges[index]?.label;
      const condition = edge[3] as string;
      const after = /^after (\d+[a-z]+(?: \d+[a-z]+)*)$/.exec(condition);
      if (after) {
        const awaited = [...new Set(edges.slice(0, index).flatMap((e) => awaitedInputs(e.when)))];
        text = awaited.length > 0 ? `no ${awaited.join(" or ")} in ${after[1]}` : `waited ${after[1]}`;
        timed = true;
      } else if (/^at /.test(condition)) {
        text = `waited until ${story.paragraph.time.at(line.at)}`;
        timed = true;
      } else {
        const said = label ?? (condition === "always" ? "" : condition.replace(/^(message|event) /, ""));
        text = said === to ? "" : said;
      }
    } else text = line.reason.replace(/^migrated from /, "moved from ");
    story.wait = undefined;
    if (!timed && line.at !== story.lastAt) text = `${text} at ${story.paragraph.time.at(line.at)}`.trim();
    const added: Item = { text, notes: [], arrow: to };
    story.paragraph.items.push(added);
    story.lastMove = { item: added, to, at: line.at, timed };
  }

  private sent(story: EntryStory, line: JournalLine): string {
    const t = (at: number) => story.paragraph.time.at(at);
    const what =
      line.kind === "webhook"
        ? line.reason.replace(/ queued$/, "")
        : (line.reason.split(" ")[0] ?? "message");
    const key = line.data?.idempotencyKey;
    const outcome = typeof key === "string" ? this.deliveries.get(key) : undefined;
    if (!outcome) return `${what} sent ${t(line.at)}`;
    switch (outcome.status) {
      case "queued":
      case "sending":
        return `${what} queued ${t(line.at)}${outcome.attempts > 0 && outcome.lastError ? ` (retrying after: ${outcome.lastError})` : ""}`;
      case "sent":
      case "delivered":
        return `${what} sent ${t(outcome.updatedAt)}`;
      case "failed":
        return `${what} failed at ${t(outcome.updatedAt)}: ${outcome.reason ?? outcome.lastError ?? "provider error"}`;
      case "dead":
        return `${what} failed at ${t(outcome.updatedAt)}: ${outcome.reason ?? "gave up"}${outcome.lastError ? ` (${outcome.lastError})` : ""}`;
      case "skipped":
        return `${what} skipped at ${t(outcome.updatedAt)}: ${outcome.reason ?? "skipped by the dispatcher"}`;
    }
  }

  private engaged(story: EntryStory, line: JournalLine): void {
    const status = /^message (\w+)/.exec(line.reason)?.[1] ?? line.reason;
    const late = line.reason.includes("no longer current") ? ", late" : "";
    const send = story.lastSend;
    if (!send) {
      story.paragraph.items.push(item(`message ${status} at ${story.paragraph.time.at(line.at)}${late}`));
      return;
    }
    // The outbox already says how a failed message failed.
    if (status === "failed" && / failed at /.test(send.text)) return;
    if (send.notes.some((note) => note.startsWith(`${status} `))) return;
    send.notes.push(`${status} ${story.paragraph.time.at(line.at)}${late}`);
  }

  private story(line: JournalLine): EntryStory {
    const id = `${line.journeyId}\u001f${line.entryId}`;
    let story = this.stories.get(id);
    if (story) return story;
    const journeyId = line.journeyId as string;
    const partial = line.kind !== "entered";
    story = {
      paragraph: this.paragraph(line.at, partial ? `${journeyId}: … ` : ""),
      journeyId,
      definition:
        this.options.definitions?.get(`${journeyId}@${line.version}`) ??
        this.options.definitions?.get(journeyId),
      lastAt: line.at,
      ended: false,
    };
    this.stories.set(id, story);
    return story;
  }

  private paragraph(at: number, prefix: string): Paragraph {
    const time = new ParagraphTime(this.clock);
    const paragraph: Paragraph = { opening: time.opening(at), prefix, items: [], time };
    this.paragraphs.push(paragraph);
    return paragraph;
  }

  render(userId: string | undefined): string {
    for (const story of this.stories.values()) {
      const wait = story.wait;
      if (story.ended || !wait) continue;
      const edges = (wait.node && story.definition?.nodes[wait.node]?.edges) || [];
      const awaited = [...new Set(edges.flatMap((e) => awaitedInputs(e.when)))];
      const what = awaited.length > 0 ? ` for ${awaited.join(" or ")}` : "";
      const until = wait.until !== undefined ? ` until ${story.paragraph.time.at(wait.until)}` : "";
      story.paragraph.items.push(item(`waiting${what}${until}`));
    }
    const header = `Journal of ${userId ?? "user"} (times in ${this.clock.timezone})`;
    if (this.paragraphs.length === 0) return `${header}: nothing recorded.`;
    const body = this.paragraphs
      .filter((paragraph) => paragraph.items.length > 0)
      .map(
        (paragraph) =>
          `[${paragraph.opening}] ${paragraph.prefix}${paragraph.items.map(renderItem).join("; ")}.`,
      );
    return [`${header}:`, ...body].join("\n");
  }
}

function item(text: string): Item {
  return { text, notes: [] };
}

function renderItem(entry: Item): string {
  const notes = entry.notes.length > 0 ? ` (${entry.notes.join(", ")})` : "";
  const arrow = entry.arrow !== undefined ? `${entry.text === "" ? "" : " "}→ ${entry.arrow}` : "";
  return `${entry.text}${notes}${arrow}`;
}

/** What an input was, said plainly: `cart_updated`, `an API call`, `a profile update`. */
function trigger(cause: string | undefined): string {
  if (cause === undefined) return "";
  const event = /^event (.+)#/.exec(cause);
  if (event) return event[1] as string;
  if (cause.startsWith("api entry")) return "an API call";
  if (cause === "profile update") return "a profile update";
  if (cause.startsWith("timer ")) return "a timer";
  const changed = /^journey (.+) changed$/.exec(cause);
  if (changed) return `a change to journey ${changed[1]}`;
  return cause;
}

function exited(reason: string, time: string): string {
  if (/^completed at /.test(reason)) return `finished at ${time}`;
  const exit = /^exit on (.+)$/.exec(reason);
  if (exit) return `exited at ${time} on ${exit[1]}`;
  return `exited at ${time}: ${reason}`;
}

function numberIn(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}
