import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * A CPU profile of the server's main thread over the measurement window only
 * (BENCH_WINDOW_PROFILE=<file.cpuprofile>), where `--profile` covers the whole run, seeding
 * included. Same format as `node --cpu-prof`: `bench/profile-summary.ts` or Chrome DevTools. Each
 * window gets its own file, numbered: `<file>-1.cpuprofile`, `-2` (the latency scenario's HTTP
 * pass, then its in-process pass).
 */
export class WindowProfile {
  private session: Session | undefined;
  private windows = 0;

  constructor(private readonly file: string) {}

  async start(): Promise<void> {
    if (this.session) return;
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    this.session = session;
  }

  async stop(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    this.windows++;
    writeFileSync(
      `${this.file.replace(/\.cpuprofile$/, "")}-${this.windows}.cpuprofile`,
      JSON.stringify(profile),
    );
  }
}
