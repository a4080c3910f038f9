// Generates the typed code the SDK is built on, from the contracts of the repository:
//   src/generated/api.ts     openapi-typescript, from docs/openapi.json (the HTTP API)
//   src/generated/proto/     proto-loader-gen-types, from pyworker/proto/hewer.proto (gRPC)
// `node scripts/generate.mjs --check` generates into a temporary directory instead and fails
// when the committed files differ: the generated code is regenerated and diffed, never edited.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(root, "..", "..");
const openapi = join(repo, "docs", "openapi.json");
const proto = join(repo, "pyworker", "proto", "hewer.proto");
const committed = join(root, "src", "generated");

// The same options as PROTO_LOADER_OPTIONS in src/grpc.ts: the types describe what the loader
// produces at run time (field names as in the .proto, 64-bit numbers as JS numbers, defaults
// filled in, and a virtual `body` naming the oneof field that is set).
const GEN_TYPES_FLAGS = [
  "--keepCase",
  "--longs=Number",
  "--enums=String",
  "--defaults",
  "--oneofs",
  "--grpcLib=@grpc/grpc-js",
  "--importFileExtension=.js",
  "--includeComments",
];

function run(tool, args, cwd = root) {
  const bin = join(root, "node_modules", ".bin", tool);
  if (!existsSync(bin)) {
    console.error(`${tool} is not installed: run \`npm ci\` in sdks/typescript first`);
    process.exit(1);
  }
  const result = spawnSync(bin, args, { cwd, stdio: ["ignore", "pipe", "inherit"] });
  if (result.status !== 0) {
    console.error(`${tool} ${args.join(" ")} failed (exit status ${result.status})`);
    process.exit(1);
  }
}

function generate(out) {
  mkdirSync(join(out, "proto"), { recursive: true });
  run("openapi-typescript", [openapi, "--output", join(out, "api.ts")]);
  // Run from the repository root with a relative path: the files name their source as
  // "pyworker/proto/hewer.proto", the same in every checkout.
  run(
    "proto-loader-gen-types",
    [...GEN_TYPES_FLAGS, `--outDir=${join(out, "proto")}`, relative(repo, proto)],
    repo,
  );
}

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort();
}

if (process.argv.includes("--check")) {
  const fresh = mkdtempSync(join(tmpdir(), "hewer-ts-generated-"));
  try {
    generate(fresh);
    const stale = [];
    const names = new Set([...files(fresh), ...files(committed)]);
    for (const name of [...names].sort()) {
      const a = join(fresh, name);
      const b = join(committed, name);
      if (!existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b))) {
        stale.push(relative(root, b));
      }
    }
    if (stale.length) {
      for (const name of stale) {
        console.error(`${name} is stale: run \`npm run generate\` and commit`);
      }
      process.exit(1);
    }
    console.log("src/generated is up to date with docs/openapi.json and hewer.proto");
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
} else {
  rmSync(committed, { recursive: true, force: true });
  generate(committed);
  console.log(`generated ${files(committed).length} files in src/generated`);
}
