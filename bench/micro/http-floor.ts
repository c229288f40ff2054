/**
 * What Node's HTTP stack costs a server per request on this machine, before any work of ours: a
 * child process runs a bare Fastify route answering 202 to a 5-event ingest body (the latency
 * scenario's request at 5k/s), and this process sends it open loop at each rate with the
 * benchmarks' HTTP client. Prints the child's CPU per request (user and system, from
 * `process.cpuUsage`) at each rate.
 * `node --import tsx bench/micro/http-floor.ts [rate ...]` (default 1000 5000), 10 s per rate.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import Fastify from "fastify";
import { monotonicMs, sleep } from "../lib/clock.js";
import { HttpClient } from "../lib/http-client.js";

if (process.argv[2] === "--server") {
  const app = Fastify({ logger: false });
  app.post("/v1/events", async (_request, reply) =>
    reply.status(202).send({ accepted: 5, duplicates: 0, ids: ["a", "b", "c", "d", "e"] }),
  );
  app.get("/cpu", async () => process.cpuUsage());
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  process.send?.({ port: typeof address === "object" && address ? address.port : 0 });
} else {
  const rates = process.argv.slice(2).map(Number);
  const child = fork(fileURLToPath(import.meta.url), ["--server"], { execArgv: ["--import", "tsx"] });
  const port = await new Promise<number>((resolve) =>
    child.once("message", (m: { port: number }) => resolve(m.port)),
  );
  const client = new HttpClient(`http://127.0.0.1:${port}`, "key", 64);
  const events = Array.from({ length: 5 }, (_, i) => ({
    userId: `u${i}`,
    name: "e",
    properties: { _t: 1.5 },
  }));
  const body = JSON.stringify({ events });
  const cpu = async (): Promise<NodeJS.CpuUsage> => JSON.parse((await client.get("/cpu")).body);
  try {
    for (const rate of rates.length > 0 ? rates : [1000, 5000]) {
      await sleep(500);
      const before = await cpu();
      const start = monotonicMs();
      let sent = 0;
      const inFlight: Promise<unknown>[] = [];
      while (monotonicMs() - start < 10_000) {
        const due = Math.floor(((monotonicMs() - start) * rate) / 1000);
        for (; sent < due; sent++) inFlight.push(client.post("/v1/events", body));
        await sleep(1);
      }
      await Promise.all(inFlight);
      const after = await cpu();
      const per = (field: "user" | "system") => (after[field] - before[field]) / sent;
      console.log(
        `${rate} requests/s: ${(per("user") + per("system")).toFixed(1)} µs of server CPU a request (user ${per("user").toFixed(1)}, system ${per("system").toFixed(1)})`,
      );
    }
  } finally {
    client.close();
    child.kill();
  }
}
