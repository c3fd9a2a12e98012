#!/usr/bin/env node
// The installed entry point. An installed package (under node_modules, where Node does not strip
// types) runs the JavaScript compiled into build/js at install time; a checkout runs the TypeScript
// sources, so it never runs a stale build (Node >= 22.18 strips types by default; 22.15..22.17 need
// a flag, so re-exec).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  process.stderr.write(`statset: Node.js >= 22.15 is required, this is ${process.versions.node}\n`);
  process.exit(1);
}

const compiled = new URL("../build/js/cli.js", import.meta.url);
const installed = fileURLToPath(import.meta.url).split(/[\\/]/).includes("node_modules");
if (installed && existsSync(compiled)) {
  const { main } = await import(compiled.href);
  process.exit(await main(process.argv.slice(2)));
} else if (!process.features.typescript) {
  const child = spawn(process.execPath, ["--experimental-strip-types", "--disable-warning=ExperimentalWarning", fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: "inherit",
  });
  for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
} else {
  const { main } = await import("../src/cli.ts");
  process.exit(await main(process.argv.slice(2)));
}
