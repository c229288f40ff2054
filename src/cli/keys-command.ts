import { ApiKeys } from "../api/auth.js";
import { openSqlite } from "../store/sqlite/open.js";

/** `journeys keys create --project NAME`: a new API key, printed once (stored hashed). */
export async function keysCommand(
  args: readonly string[],
  options: { db: string; project: string; name?: string },
  out: (line: string) => void,
): Promise<number> {
  if (args[0] !== "create") {
    out("usage: journeys keys create [--project NAME] [--name LABEL] [--db FILE]");
    return 2;
  }
  const { store } = openSqlite({ path: options.db });
  try {
    await store.migrate();
    const key = await new ApiKeys(store).create(options.project, options.name ?? "cli");
    out(`API key for project "${options.project}" (shown once, stored hashed):`);
    out(key);
    return 0;
  } finally {
    await store.close();
  }
}
