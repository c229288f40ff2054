#!/usr/bin/env -S node --max-semi-space-size=64
// The `journeys` command. Runs the compiled CLI (built by `npm install` through the prepare script).
// A 64 MiB young generation (V8's default is 16 MiB per semi-space): the executor's cached user
// states live long enough to be copied by every scavenge of a small one; measured in
// docs/benchmarks.md ("What moved"). V8 reads the setting only at start-up, hence the shebang
// (GNU coreutils, macOS and npm's Windows shims understand `env -S`; BusyBox does not, see README).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const compiled = join(root, "dist", "cli", "main.js"); // the CLI, compiled by `npm run build`
if (!existsSync(compiled)) {
  process.stderr.write(
    "journeys: dist/ is missing; run `npm install` (or `npm run build`) in the repository first\n",
  );
  process.exit(1);
}
const { run } = await import(pathToFileURL(compiled).href);
await run(process.argv.slice(2));
