import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cpuShares, cpuTimes } from "../bench/lib/machine.js";

describe("benchmark machine figures", () => {
  it("splits the CPU time between two readings into busy, disk wait and steal", () => {
    const from = { busy: 1_000, iowait: 50, steal: 10, total: 5_000 };
    const to = { busy: 1_600, iowait: 70, steal: 110, total: 6_000 };
    assert.deepEqual(cpuShares(from, to), { busyPct: 60, iowaitPct: 2, stealPct: 10 });
    assert.equal(cpuShares(to, to), undefined, "no time passed");
    assert.equal(cpuShares(undefined, to), undefined);
  });

  it("reads this machine's counters where /proc/stat exists", { skip: process.platform !== "linux" }, () => {
    const before = cpuTimes();
    let spin = 0;
    for (let i = 0; i < 5_000_000; i++) spin += i;
    const after = cpuTimes();
    assert.ok(before && after && spin > 0);
    assert.ok(after.total >= before.total && after.busy >= before.busy);
    const shares = cpuShares(before, after);
    if (shares) assert.ok(shares.busyPct + shares.iowaitPct + shares.stealPct <= 100.1);
  });
});
