import type { JourneyDefinition } from "../core/model.js";
import { DOC, type JourneyVersionRecord, versionDocId } from "../runtime/catalogs.js";
import type { Store } from "../store/types.js";
import { explainJournal } from "./journal-story.js";

/** What `explainUser` reads: a Store's journal, the user's state, deliveries and journey versions. */
export type ExplainStore = Pick<Store, "journal" | "loadUsers" | "listDeliveries" | "getDocument">;

export interface ExplainUserOptions {
  /** Only this journey. */
  journeyId?: string;
  /** Zone of the times; default the user's own timezone, else UTC. */
  timezone?: string;
  /** Journal lines read, newest first (default 500). */
  limit?: number;
}

/**
 * Gathers what a story needs about one user from the store (journal, instances, deliveries and
 * the journey versions they ran) and tells it. Used by `GET /v1/users/{id}/journal?format=text`
 * and `journeys explain`.
 */
export async function explainUser(
  store: ExplainStore,
  project: string,
  userId: string,
  options: ExplainUserOptions = {},
): Promise<string> {
  const lines = await store.journal(project, userId, options.limit ?? 500);
  const state = (await store.loadUsers(project, [userId])).get(userId);
  const deliveries = await store.listDeliveries({
    project,
    userId,
    limit: 1000,
    ...(options.journeyId !== undefined ? { journeyId: options.journeyId } : {}),
  });
  const definitions = new Map<string, JourneyDefinition>();
  for (const line of lines) {
    if (line.journeyId === undefined || line.version === undefined) continue;
    const id = `${line.journeyId}@${line.version}`;
    if (definitions.has(id)) continue;
    const doc = await store.getDocument(project, DOC.version, versionDocId(line.journeyId, line.version));
    if (doc) definitions.set(id, (doc as unknown as JourneyVersionRecord).definition);
  }
  return explainJournal(lines, {
    userId,
    timezone: options.timezone ?? state?.profile?.timezone ?? "UTC",
    ...(options.journeyId !== undefined ? { journeyId: options.journeyId } : {}),
    definitions,
    instances: state?.instances ?? [],
    deliveries,
  });
}
