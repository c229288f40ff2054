import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * What outlives young-generation collections (BENCH_HEAP_SURVIVORS=<file.heapprofile>): V8's
 * sampling heap profiler over the measurement window, keeping the samples of objects a scavenge
 * copied (whether a later full collection freed them or they are still alive) and leaving out
 * those a scavenge freed. Survivors are what makes scavenges slow and what fills the old
 * generation. With `everything` (BENCH_HEAP_ALLOCATIONS) it keeps those too: all that was
 * allocated, by site. The file opens in Chrome DevTools (Memory) or `bench/profile-summary.ts`.
 */
export class HeapSurvivors {
  private session: Session | undefined;

  constructor(
    private readonly file: string,
    /** Mean bytes between two samples. */
    private readonly interval = 16_384,
    /** Keep every allocation sampled, those scavenges freed too (BENCH_HEAP_ALLOCATIONS). */
    private readonly everything = false,
  ) {}

  async start(): Promise<void> {
    if (this.session) return;
    const session = new Session();
    session.connect();
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: this.interval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: this.everything,
    });
    this.session = session;
  }

  async stop(): Promise<void> {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    const { profile } = await session.post("HeapProfiler.stopSampling");
    session.disconnect();
    writeFileSync(this.file, JSON.stringify(profile));
  }
}
