#!/usr/bin/env node
// The `journeys` command. Runs the compiled CLI (built by `npm install` through the prepare script).
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
