#!/usr/bin/env bash
# Rebuild the Polymarket simulator's contracts (python/venuesim/polymarket/contracts):
# compiles src/*.sol with solcjs (npm package `solc`, pinned below) into build/<Name>.json
# ({"contractName","abi","bytecode","deployedBytecode","compiler","sourceSha256"}).
# The committed build/ files are what the simulator loads; tests never need npm.
# Usage: scripts/build_contracts.sh            (needs node + npm; works offline once the
#                                               npm cache holds solc)
set -euo pipefail
SOLC_VERSION=0.8.30
EVM_VERSION=cancun
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$REPO/python/venuesim/polymarket/contracts"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm install --no-save --no-audit --no-fund --silent "solc@$SOLC_VERSION" >/dev/null
cat > compile.js <<'JS'
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const solc = require("solc");
const [srcDir, outDir, evmVersion] = process.argv.slice(2);
const sources = {};
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(srcDir, f), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion,
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === "error");
for (const e of out.errors || []) console.error(e.formattedMessage);
if (errors.length) process.exit(1);
for (const [file, contracts] of Object.entries(out.contracts)) {
  const sha = crypto.createHash("sha256").update(sources[file].content).digest("hex");
  for (const [name, c] of Object.entries(contracts)) {
    if (!c.evm.deployedBytecode.object) continue; // interfaces and abstract contracts
    const art = {
      contractName: name, sourceFile: file, sourceSha256: sha,
      compiler: "solcjs " + solc.version() + " evm " + evmVersion + " optimizer 200",
      abi: c.abi, bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    };
    fs.writeFileSync(path.join(outDir, name + ".json"), JSON.stringify(art, null, 1) + "\n");
    console.log("built " + name + " (" + (c.evm.deployedBytecode.object.length / 2) + " bytes)");
  }
}
JS
rm -f "$DIR"/build/*.json
mkdir -p "$DIR/build"
node compile.js "$DIR/src" "$DIR/build" "$EVM_VERSION"
