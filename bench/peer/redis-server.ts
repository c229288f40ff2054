import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sleep } from "../lib/clock.js";

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "start-redis.sh");

/** A redis-server this benchmark started (on 127.0.0.1), stopped by its pid. */
export interface RedisServer {
  port: number;
  pid: number;
  version: string;
  stop(): Promise<void>;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server through start-redis.sh (installing it when missing). */
export async function startRedis(dir: string): Promise<RedisServer> {
  const port = await freePort();
  const run = promisify(execFile);
  const { stdout } = await run("bash", [SCRIPT, String(port), path.join(dir, "redis")], { timeout: 300_000 });
  const pid = Number(stdout.trim().split("\n").pop());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`start-redis.sh printed no pid: ${stdout}`);
  const version = (await run("redis-server", ["--version"])).stdout.trim();
  return {
    port,
    pid,
    version,
    async stop() {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        return;
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          return;
        }
        await sleep(50);
      }
      process.kill(pid, "SIGKILL");
    },
  };
}
