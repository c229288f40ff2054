import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { A, batch, changes, timer } from "../store/conformance/fixtures.js";
import { openSqlite } from "../store/sqlite/open.js";
import type { StoredTimer, TimerCursor } from "../store/types.js";
import { TimerService } from "./timer-service.js";

const root = mkdtempSync(join(tmpdir(), "journeys-timers-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("timer service", () => {
  it("hands over once a timer committed while a load is reading the range it falls in", async () => {
    const storage = openSqlite({ path: join(root, `${randomUUID()}.db`) });
    const now = 1_000_000;
    try {
      const { store } = storage;
      // Five stored timers due within the horizon, read two to a page.
      const stored = ["t1", "t2", "t3", "t4", "t5"].map((id, i) => timer(id, now + 1_000 + i, `u${i}`));
      await store.commit(batch(0, [changes(A, { timersSet: stored })]));
      let service: TimerService | undefined;
      let pages = 0;
      const late = timer("t-late", now + 1_010, "u9");
      // The service reads the store through timersBetween alone.
      const reading: Pick<typeof store, "timersBetween"> = {
        timersBetween: async (cursor: TimerCursor, until: number, limit: number): Promise<StoredTimer[]> => {
          // Between the first page and the next, the executor commits a timer the load has yet to
          // read and tells the service, as it does after each commit.
          if (pages++ === 1) {
            await store.commit(batch(0, [changes(A, { timersSet: [late] })]));
            service?.scheduled({ ...late, project: A, partition: 0 });
          }
          return store.timersBetween(cursor, until, limit);
        },
      };
      const clock = { now: () => now };
      service = new TimerService({
        store: reading as typeof store, // the other methods are never called
        clock,
        horizonMs: 60_000,
        pageSize: 2,
      });
      await service.start();
      assert.ok(pages >= 3, `the load read ${pages} pages`);
      clock.now = () => now + 60_000;
      const handed = service.takeDue(0, clock.now(), 100).map((t) => t.id);
      service.stop();
      assert.deepEqual(handed.sort(), ["t-late", "t1", "t2", "t3", "t4", "t5"]);
    } finally {
      await storage.close();
    }
  });
});
