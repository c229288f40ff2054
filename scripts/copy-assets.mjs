// Copies the non-TypeScript files the compiled code reads at runtime (src/**/*.sql) into dist/,
// next to the modules that load them, since tsc emits only JavaScript.
import { cpSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const dist = join(root, "dist");
const ASSET = /\.sql$/;

function copyAssets(dir) {
  let copied = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copied += copyAssets(path);
    else if (ASSET.test(name)) {
      cpSync(path, join(dist, relative(src, path)));
      copied++;
    }
  }
  return copied;
}

console.log(`copied ${copyAssets(src)} asset files to dist/`);
