#!/usr/bin/env node
// The installed entry point. statset's sources are TypeScript run by Node's type stripping
// (Node >= 22.18 strips by default; 22.15..22.17 need --experimental-strip-types, so we re-exec).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  process.stderr.write(`statset: Node.js >= 22.15 is required, this is ${process.versions.node}\n`);
  process.exit(1);
}

if (!process.features.typescript) {
  const child = spawn(process.execPath, ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
} else {
  const { main } = await import("../src/cli.ts");
  process.exit(await main(process.argv.slice(2)));
}
