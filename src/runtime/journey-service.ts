import { checkJourney } from "../core/check.js";
import { hash53, partitionOf } from "../core/hash.js";
import type { Input } from "../core/input.js";
import type { Issue } from "../core/issue.js";
import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "../core/model.js";
import { parseJourney } from "../core/schema.js";
import type { Instance } from "../core/state.js";
import type { Log, LogEntry, NodeStats, Store } from "../store/types.js";
import {
  DOC,
  type JourneyRecord,
  type JourneyVersionRecord,
  type ProjectCatalogs,
  versionDocId,
} from "./catalogs.js";
import type { Clock } from "./clock.js";
import { ConflictError, InvalidError, NotFoundError, RequestError } from "./errors.js";

export interface JourneyServiceOptions {
  store: Store;
  log: Log;
  catalogs: ProjectCatalogs;
  clock: Clock;
  partitions: number;
  /** Called when inputs were appended to partitions (wakes the executor). */
  notify: (partitions: Iterable<number>) => void;
}

const PAGE = 1000;

/**
 * Journey lifecycle: drafts, validation, immutable published versions, pause, resume, archive;
 * and the journey loader, which tells every affected user about a change (migration of
 * in-flight instances, enrollment of users who already match a segment entry).
 */
export class JourneyService {
  constructor(private readonly options: JourneyServiceOptions) {}

  async list(project: string): Promise<JourneyRecord[]> {
    const docs = await this.options.store.listDocuments(project, DOC.journey);
    return docs.map((doc) => doc.body as unknown as JourneyRecord).sort((a, b) => a.id.localeCompare(b.id));
  }

  async get(project: string, id: string): Promise<JourneyRecord> {
    const doc = await this.options.store.getDocument(project, DOC.journey, id);
    if (!doc) throw new NotFoundError("journey", id);
    return doc as unknown as JourneyRecord;
  }

  async version(project: string, id: string, version: number): Promise<JourneyVersionRecord> {
    const doc = await this.options.store.getDocument(project, DOC.version, versionDocId(id, version));
    if (!doc) throw new NotFoundError("journey version", `${id}@${version}`);
    return doc as unknown as JourneyVersionRecord;
  }

  /** Creates a journey from a draft definition (schema-checked; graph checks run on validate/publish). */
  async create(project: string, body: unknown): Promise<JourneyRecord> {
    const draft = parseDraft(body);
    const existing = await this.options.store.getDocument(project, DOC.journey, draft.id);
    if (existing) throw new ConflictError(`journey ${draft.id} already exists`);
    const now = this.options.clock.now();
    const record: JourneyRecord = {
      id: draft.id,
      draft,
      status: "draft",
      version: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.save(project, record);
    return record;
  }

  /** Replaces the draft; published versions are untouched until the next publish. */
  async putDraft(project: string, id: string, body: unknown): Promise<JourneyRecord> {
    const draft = parseDraft(body, id);
    const doc = await this.options.store.getDocument(project, DOC.journey, id);
    const now = this.options.clock.now();
    const record: JourneyRecord = doc
      ? { ...(doc as unknown as JourneyRecord), draft, updatedAt: now }
      : { id, draft, status: "draft", version: 0, createdAt: now, updatedAt: now };
    if (record.status === "archived") throw new ConflictError(`journey ${id} is archived`);
    await this.save(project, record);
    return record;
  }

  async delete(project: string, id: string): Promise<void> {
    const record = await this.get(project, id);
    if (record.status === "active" || record.status === "paused") {
      throw new ConflictError(`journey ${id} is ${record.status}: archive it before deleting`);
    }
    await this.options.store.deleteDocument(project, DOC.journey, id);
  }

  /** Every problem with the draft (schema and graph), each with its JSON path. */
  async validate(project: string, id: string): Promise<Issue[]> {
    const record = await this.get(project, id);
    return this.check(project, record.draft);
  }

  /** Validates a definition against the project's templates and segments. */
  async check(project: string, definition: unknown): Promise<Issue[]> {
    const [templates, segments] = await Promise.all([
      this.options.store.listDocuments(project, DOC.template),
      this.options.store.listDocuments(project, DOC.segment),
    ]);
    return checkJourney(definition, {
      templates: templates.map((doc) => doc.body as unknown as TemplateDefinition),
      segments: segments.map((doc) => doc.body as unknown as SegmentDefinition),
    }).issues;
  }

  /** Publishes the draft as a new immutable version and migrates in-flight users to it. */
  async publish(project: string, id: string): Promise<JourneyRecord> {
    const record = await this.get(project, id);
    if (record.status === "archived") throw new ConflictError(`journey ${id} is archived`);
    const issues = await this.check(project, record.draft);
    if (issues.length > 0)
      throw new InvalidError(`journey ${id} is not valid: ${issues.length} problem(s)`, issues);
    const now = this.options.clock.now();
    const version = record.version + 1;
    const versionRecord: JourneyVersionRecord = { id, version, definition: record.draft, publishedAt: now };
    await this.options.store.putDocument(
      project,
      DOC.version,
      versionDocId(id, version),
      versionRecord as never,
    );
    const published: JourneyRecord = {
      ...record,
      version,
      status: record.status === "paused" ? "paused" : "active",
      publishedAt: now,
      updatedAt: now,
    };
    await this.save(project, published);
    await this.options.catalogs.reload(project);
    await this.announce(project, id, record.draft.entry && "segment" in record.draft.entry);
    return published;
  }

  async pause(project: string, id: string): Promise<JourneyRecord> {
    return this.setStatus(project, id, "paused", ["active", "paused"]);
  }

  async resume(project: string, id: string): Promise<JourneyRecord> {
    return this.setStatus(project, id, "active", ["active", "paused"]);
  }

  async archive(project: string, id: string): Promise<JourneyRecord> {
    return this.setStatus(project, id, "archived", ["draft", "active", "paused", "archived"]);
  }

  async stats(
    project: string,
    id: string,
  ): Promise<{ journey: string; version: number; status: string; nodes: NodeStats[] }> {
    const record = await this.get(project, id);
    const nodes = await this.options.store.nodeStats(project, id);
    const known = new Set(nodes.map((n) => n.node));
    for (const node of Object.keys(record.draft.nodes)) {
      if (!known.has(node))
        nodes.push({ node, entered: 0, waiting: 0, exited: 0, converted: 0, sent: 0, failed: 0 });
    }
    return { journey: id, version: record.version, status: record.status, nodes };
  }

  /**
   * Re-checks segment membership of every user of a project that has segment-entry journeys:
   * time alone moves users into segments such as "no order within 60 days".
   */
  async refreshSegments(project: string): Promise<number> {
    const catalog = await this.options.catalogs.get(project);
    if (catalog.segmentEntries.length === 0) return 0;
    const stamp = this.options.clock.now().toString(36);
    return this.tellUsers(project, this.allUsers(project), (userId) => ({
      kind: "segments",
      id: `seg:${stamp}:${userId}`,
      userId,
    }));
  }

  private async setStatus(
    project: string,
    id: string,
    status: JourneyRecord["status"],
    from: readonly JourneyRecord["status"][],
  ): Promise<JourneyRecord> {
    const record = await this.get(project, id);
    if (!from.includes(record.status)) {
      throw new RequestError(
        409,
        "INVALID_STATE",
        `journey ${id} is ${record.status}; cannot become ${status}`,
      );
    }
    if (record.status === status) return record;
    const updated: JourneyRecord = { ...record, status, updatedAt: this.options.clock.now() };
    await this.save(project, updated);
    await this.options.catalogs.reload(project);
    if (record.version > 0 && status !== "paused") await this.announce(project, id, false);
    return updated;
  }

  /**
   * Appends a `journey-changed` input for every user with an instance of the journey (and, for
   * a segment entry, every user of the project) so each is migrated or enrolled in order with
   * their other inputs.
   */
  private async announce(project: string, journeyId: string, everyone: boolean): Promise<void> {
    const stamp = hash53(`${journeyId}:${this.options.clock.now()}`).toString(36);
    await this.tellUsers(
      project,
      everyone ? this.allUsers(project) : this.usersInJourney(project, journeyId),
      (userId) => ({
        kind: "journey-changed",
        id: `jc:${journeyId}:${stamp}:${userId}`,
        userId,
        journeyId,
      }),
    );
  }

  /** Appends one input per user, page by page, and wakes the partitions that got some. */
  private async tellUsers(
    project: string,
    pages: AsyncIterable<string[]>,
    input: (userId: string) => Input,
  ): Promise<number> {
    const { log, partitions, notify, clock } = this.options;
    const touched = new Set<number>();
    let users = 0;
    for await (const page of pages) {
      const entries: LogEntry[] = page.map((userId) => {
        const partition = partitionOf(project, userId, partitions);
        touched.add(partition);
        return { project, partition, appendedAt: clock.now(), dedupe: false, input: input(userId) };
      });
      if (entries.length > 0) await log.append(entries);
      users += page.length;
    }
    notify(touched);
    return users;
  }

  private async *allUsers(project: string): AsyncIterable<string[]> {
    for (let after = ""; ; ) {
      const users = await this.options.store.userIds(project, after, PAGE);
      yield users;
      if (users.length < PAGE) return;
      after = users[users.length - 1] as string;
    }
  }

  /** Users with an instance of the journey that has not exited. */
  private async *usersInJourney(project: string, journeyId: string): AsyncIterable<string[]> {
    for (let after = ""; ; ) {
      const instances = await this.options.store.instancesOfJourney(project, journeyId, after, PAGE);
      yield [...new Set(instances.filter((i) => i.status !== "exited").map((i) => i.userId))];
      if (instances.length < PAGE) return;
      after = (instances[instances.length - 1] as Instance).userId;
    }
  }

  private async save(project: string, record: JourneyRecord): Promise<void> {
    await this.options.store.putDocument(project, DOC.journey, record.id, record as never);
  }
}

function parseDraft(body: unknown, id?: string): JourneyDefinition {
  const parsed = parseJourney(body);
  if (!parsed.ok) throw new InvalidError("invalid journey definition", parsed.issues);
  if (id !== undefined && parsed.journey.id !== id) {
    throw new InvalidError("journey id does not match the URL", [
      { path: "id", message: `expected "${id}"` },
    ]);
  }
  return parsed.journey;
}
