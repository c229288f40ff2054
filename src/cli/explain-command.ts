import { existsSync } from "node:fs";
import { explainUser } from "../observability/explain-user.js";
import { StoryClock } from "../observability/story-clock.js";
import { openSqlite } from "../store/sqlite/open.js";

export const EXPLAIN_USAGE = `usage: journeys explain USER [JOURNEY] [--db FILE | --url URL --key KEY] [--project NAME] [--timezone ZONE]

Tells what happened to a user, journey by journey, and why: entries, waits, messages sent or
skipped (quiet hours, frequency cap, unsubscribed...), exits.

  --db FILE        read the SQLite file directly (default $JOURNEYS_DB or ./journeys.db)
  --url URL        ask a running server instead (GET /v1/users/USER/journal?format=text)
  --key KEY        its API key (default $JOURNEYS_API_KEY)
  --project NAME   project of the user with --db (default $JOURNEYS_PROJECT or "default")
  --timezone ZONE  IANA zone of the times (default the user's timezone, else UTC)`;

export interface ExplainCommandOptions {
  db: string;
  url?: string;
  key?: string;
  project: string;
  timezone?: string;
}

/** `journeys explain USER [JOURNEY]`: prints the user's journal as a story; exit code 1 when it cannot. */
export async function explainCommand(
  args: readonly string[],
  options: ExplainCommandOptions,
  out: (line: string) => void,
): Promise<number> {
  const [userId, journeyId, ...extra] = args;
  if (!userId || extra.length > 0) {
    out(EXPLAIN_USAGE);
    return 2;
  }
  if (options.timezone !== undefined) {
    try {
      new StoryClock(options.timezone);
    } catch (error) {
      out(`journeys explain: ${(error as Error).message}`);
      return 2;
    }
  }
  const story = {
    ...(journeyId ? { journeyId } : {}),
    ...(options.timezone ? { timezone: options.timezone } : {}),
  };
  if (options.url !== undefined) return fromServer(options.url, options.key, userId, story, out);
  if (!existsSync(options.db)) {
    out(`journeys explain: no database at ${options.db} (use --db FILE, or --url URL --key KEY)`);
    return 1;
  }
  const { store } = openSqlite({ path: options.db });
  try {
    out(await explainUser(store, options.project, userId, story));
    return 0;
  } finally {
    await store.close();
  }
}

async function fromServer(
  url: string,
  key: string | undefined,
  userId: string,
  story: { journeyId?: string; timezone?: string },
  out: (line: string) => void,
): Promise<number> {
  if (!key) {
    out("journeys explain: --url needs --key KEY (or JOURNEYS_API_KEY)");
    return 2;
  }
  const query = new URLSearchParams({ format: "text" });
  if (story.journeyId) query.set("journey", story.journeyId);
  if (story.timezone) query.set("timezone", story.timezone);
  const target = `${url.replace(/\/+$/, "")}/v1/users/${encodeURIComponent(userId)}/journal?${query}`;
  let response: Response;
  try {
    response = await fetch(target, { headers: { authorization: `Bearer ${key}` } });
  } catch (error) {
    out(`journeys explain: cannot reach ${url}: ${(error as Error).message}`);
    return 1;
  }
  const text = await response.text();
  if (!response.ok) {
    out(`journeys explain: the server answered ${response.status}: ${text}`);
    return 1;
  }
  out(text);
  return 0;
}
