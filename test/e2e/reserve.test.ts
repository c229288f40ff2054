import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { startServer, tempDir } from "../support/server.js";

describe("journeys serve --reserve-mib", () => {
  const temp = tempDir();
  after(() => temp.cleanup());

  it("grows the database file to the reserved size before serving", async () => {
    const db = join(temp.dir, "reserved.db");
    const server = await startServer(db, { reserveMib: 8 });
    try {
      assert.ok(statSync(db).size >= 8 * 1024 * 1024, `${statSync(db).size} bytes`);
      assert.equal((await server.api("GET", "/v1/journeys")).status, 200);
    } finally {
      await server.close();
    }
  });
});
