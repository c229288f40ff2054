import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Engine } from "../../src/runtime/engine.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import { tempDir } from "../support/server.js";

/**
 * The executor reads a user from the store until the user has been read twice lately; from then
 * on the user's state is served from its cache. Whichever path serves an input, the state is the
 * same.
 */
describe("executor cache admission", () => {
  const temp = tempDir();
  after(() => temp.cleanup());

  /**
   * Sets Ada's `a` with one engine, then applies three more changes one after the other with a
   * second engine on the same file (nothing cached): returns how often the second read her.
   */
  async function threeChanges(file: string, cacheRemembered?: number) {
    const path = join(temp.dir, file);
    await withEngine(path, undefined, (engine) => engine.identify("p", "ada", { attributes: { a: 0 } }));
    return withEngine(path, cacheRemembered, async (engine, reads) => {
      for (const [name, value] of [
        ["b", 1],
        ["c", 2],
        ["d", 3],
      ] as const) {
        await engine.identify("p", "ada", { attributes: { [name]: value } });
      }
      const executorReads = reads.filter((id) => id === "ada").length;
      const user = await engine.user("p", "ada");
      return { reads: executorReads, attributes: user?.profile?.attributes };
    });
  }

  async function withEngine<T>(
    path: string,
    cacheRemembered: number | undefined,
    use: (engine: Engine, reads: string[]) => Promise<T>,
  ): Promise<T> {
    const storage = openSqlite({ path });
    await storage.store.migrate();
    const reads: string[] = [];
    const loadUsers = storage.store.loadUsers.bind(storage.store);
    storage.store.loadUsers = (project, userIds) => {
      reads.push(...userIds);
      return loadUsers(project, userIds);
    };
    const engine = new Engine({
      store: storage.store,
      log: storage.log,
      ...(cacheRemembered !== undefined ? { cacheRemembered } : {}),
    });
    await engine.start();
    try {
      return await use(engine, reads);
    } finally {
      await engine.stop();
      await storage.close();
    }
  }

  it("caches a user from the second read on, and the state is the same either way", async () => {
    const admitted = await threeChanges("admitted.db");
    assert.equal(admitted.reads, 2, "read for the first change and the second, cached for the third");
    assert.deepEqual(admitted.attributes, { a: 0, b: 1, c: 2, d: 3 });
  });

  it("caches every user read when told to remember none", async () => {
    const every = await threeChanges("every.db", 0);
    assert.equal(every.reads, 1);
    assert.deepEqual(every.attributes, { a: 0, b: 1, c: 2, d: 3 });
  });
});
