import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * The core must stay deterministic: no Node built-ins, no I/O, no clock, no randomness. Biome's
 * noNodejsModules rule guards imports in the editor; this test guards everything, in CI.
 */

const here = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testing" ? [] : sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  {
    pattern: /from\s+["'](node:|fs|path|os|crypto|http|https|net|child_process|worker_threads|process)["'/]/,
    why: "imports a Node built-in",
  },
  { pattern: /\brequire\s*\(/, why: "uses require()" },
  { pattern: /\bimport\s*\(/, why: "imports dynamically" },
  { pattern: /Date\.now\s*\(/, why: "reads the clock (Date.now)" },
  { pattern: /new Date\(\s*\)/, why: "reads the clock (new Date())" },
  { pattern: /performance\.now/, why: "reads the clock (performance.now)" },
  { pattern: /Math\.random/, why: "draws random numbers" },
  { pattern: /\bprocess\./, why: "touches the process" },
  { pattern: /\b(fetch|setTimeout|setInterval|setImmediate)\s*\(/, why: "does I/O or schedules work" },
];

describe("core purity", () => {
  const files = sources(here);

  it("finds the core sources", () => {
    assert.ok(files.length > 10, `only ${files.length} files found`);
  });

  for (const file of files) {
    it(`${file.slice(here.length + 1)} does no I/O and reads no clock or randomness`, () => {
      const text = readFileSync(file, "utf8");
      for (const { pattern, why } of FORBIDDEN) {
        const line = text
          .split("\n")
          .findIndex((l) => pattern.test(l) && !l.trim().startsWith("//") && !l.trim().startsWith("*"));
        assert.equal(line, -1, `${why} at line ${line + 1}`);
      }
    });
  }
});
