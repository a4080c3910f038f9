// Build step: the worker loads hewer.proto at run time, so the package carries a copy of the
// repository's pyworker/proto/hewer.proto in dist/proto (never edited, always copied).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const source = resolve(root, "..", "..", "pyworker", "proto", "hewer.proto");
const target = join(root, "dist", "proto", "hewer.proto");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
console.log(`copied ${source} to dist/proto/hewer.proto`);
