// Compiles contracts/src/*.sol with the pinned solcjs (npm `solc`) through
// standard JSON and writes contracts/artifacts/<Contract>.json as
// {abi, bytecode}: the shape alloy's `sol!(Name, "file.json")` reads.
// The artifacts are committed, so Rust builds and tests need no compiler.
//
//   npm run build:contracts            # (re)write the artifacts
//   npm run build:contracts -- --check # fail if they differ from the sources
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const require = createRequire(import.meta.url);
const solc = require("solc");

// The compiler is part of what an artifact means: refuse any other one.
const SOLC_VERSION = "0.8.37+commit.f401782d";
// Cancun is what the local chain and today's L2s (e.g. Base) all run.
const EVM_VERSION = "cancun";
const CONTRACTS = ["EIP3009Token"];

if (!solc.version().startsWith(SOLC_VERSION)) {
  console.error(`solc ${solc.version()} installed, ${SOLC_VERSION} pinned: run npm ci`);
  process.exit(1);
}

const srcDir = join(here, "src");
const sources = {};
for (const f of readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[`contracts/src/${f}`] = { content: readFileSync(join(srcDir, f), "utf8") };
}

const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: EVM_VERSION,
    optimizer: { enabled: true, runs: 10000 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
  },
};

// Imports like "@openzeppelin/contracts/..." resolve in node_modules only.
function findImports(path) {
  const file = join(root, "node_modules", path);
  if (path.startsWith("@openzeppelin/contracts/") && existsSync(file)) {
    return { contents: readFileSync(file, "utf8") };
  }
  return { error: `import not found: ${path}` };
}

const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

const check = process.argv.includes("--check");
let stale = 0;
for (const name of CONTRACTS) {
  const unit = output.contracts[`contracts/src/${name}.sol`]?.[name];
  if (!unit) {
    console.error(`no contract ${name} in contracts/src/${name}.sol`);
    process.exit(1);
  }
  const artifact = { abi: unit.abi, bytecode: `0x${unit.evm.bytecode.object}` };
  const text = `${JSON.stringify(artifact, null, 2)}\n`;
  const out = join(here, "artifacts", `${name}.json`);
  if (check) {
    const current = existsSync(out) ? readFileSync(out, "utf8") : "";
    if (current !== text) {
      console.error(`${relative(root, out)} is stale: run npm run build:contracts`);
      stale += 1;
    } else {
      console.log(`${relative(root, out)} is up to date`);
    }
  } else {
    writeFileSync(out, text);
    console.log(`wrote ${relative(root, out)} (${(unit.evm.bytecode.object.length / 2) | 0} bytes of init code)`);
  }
}
process.exit(stale === 0 ? 0 : 1);
