/**
 * The statset command line:
 *
 *   statset run [--config FILE]      run the daemon (default: otel-config/default.yaml)
 *   statset validate --config FILE   check a configuration; lists every problem, exits 1 if any
 *   statset --help | --version
 *
 * Failures to start (unreadable or invalid config, a port in use) exit 1 with one line on stderr
 * naming the cause. SIGTERM and SIGINT shut down gracefully (stop accepting, drain, flush) and
 * exit 0; a second signal exits at once with 130.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultRegistry } from "./components/registry.ts";
import { ConfigLoadError, formatConfigError, loadConfigFile } from "./config/loader.ts";
import { Daemon } from "./daemon.ts";
import { PACKAGE_ROOT } from "./package-root.ts";
import { routeProcessWarnings } from "./telemetry/process-warnings.ts";

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL("otel-config/default.yaml", PACKAGE_ROOT));
const pkg = JSON.parse(readFileSync(new URL("package.json", PACKAGE_ROOT), "utf8")) as { version: string };

const USAGE = `Usage:
  statset run [--config FILE]      run the daemon (default config: otel-config/default.yaml)
  statset validate --config FILE   validate a configuration and list every problem
  statset --help                   show this help
  statset --version                print the version

Configuration follows the OpenTelemetry Collector's shape (receivers, processors, exporters,
service.pipelines); \${env:VAR} and \${env:VAR:-default} are substituted.`;

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const STD_IO: CliIo = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
};

interface ParsedArgs {
  command: "run" | "validate" | "help" | "version";
  config: string | null;
}

/** Parses argv (without node and script). Throws an Error with a one-line message on misuse. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let command: ParsedArgs["command"] | null = null;
  let config: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return { command: "help", config: null };
    if (a === "--version" || a === "-v") return { command: "version", config: null };
    if (a === "--config" || a === "-c") {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("-")) throw new Error(`${a} needs a file name`);
      config = v;
      i++;
    } else if (a.startsWith("--config=")) {
      config = a.slice("--config=".length);
      if (config === "") throw new Error("--config needs a file name");
    } else if (a.startsWith("-")) {
      throw new Error(`unknown option ${a} (see statset --help)`);
    } else if (command === null && (a === "run" || a === "validate")) {
      command = a;
    } else {
      throw new Error(`unexpected argument ${JSON.stringify(a)} (see statset --help)`);
    }
  }
  if (command === null) command = "run";
  if (command === "validate" && config === null) throw new Error("validate needs --config FILE");
  return { command, config };
}

/** Runs `validate`; returns the exit code. */
export async function validateCommand(file: string, io: CliIo = STD_IO): Promise<number> {
  try {
    await loadConfigFile(file, { registry: defaultRegistry });
    io.out(`statset: ${file} is valid`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigLoadError) {
      for (const p of e.problems) io.err(`statset: ${formatConfigError(p)}`);
      io.err(`statset: ${file}: ${e.problems.length} problem${e.problems.length === 1 ? "" : "s"}`);
      return 1;
    }
    io.err(`statset: ${(e as Error).message}`);
    return 1;
  }
}

function oneLine(e: unknown, file: string): string {
  if (e instanceof ConfigLoadError) {
    const first = formatConfigError(e.problems[0]);
    const more = e.problems.length - 1;
    return more === 0 ? first : `${first} (and ${more} more problem${more === 1 ? "" : "s"}; run: statset validate --config ${file})`;
  }
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** Runs the daemon until SIGTERM/SIGINT; resolves with the exit code. */
export async function runCommand(file: string, io: CliIo = STD_IO): Promise<number> {
  let daemon: Daemon;
  let restoreWarnings = (): void => {};
  try {
    const config = await loadConfigFile(file, { registry: defaultRegistry });
    daemon = await Daemon.create(config);
    restoreWarnings = routeProcessWarnings(daemon.logger);
    await daemon.start();
  } catch (e) {
    restoreWarnings();
    io.err(`statset: ${oneLine(e, file)}`);
    return 1;
  }
  const d = daemon;
  const exitCode = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        io.err(`statset: ${signal} again; exiting without finishing the shutdown`);
        resolve(130);
        return;
      }
      stopping = true;
      d.logger.info({ signal }, "signal received; shutting down");
      const timeoutMs = d.config.service.shutdownTimeoutMs;
      const timer = setTimeout(() => {
        io.err(`statset: shutdown did not finish within ${timeoutMs} ms`);
        resolve(1);
      }, timeoutMs);
      timer.unref();
      d.shutdown().then(
        () => {
          clearTimeout(timer);
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          io.err(`statset: shutdown failed: ${oneLine(err, file)}`);
          resolve(1);
        },
      );
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return exitCode.finally(restoreWarnings);
}

/** The whole CLI; returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = STD_IO): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    io.err(`statset: ${(e as Error).message}`);
    return 2;
  }
  switch (args.command) {
    case "help":
      io.out(USAGE);
      return 0;
    case "version":
      io.out(`statset ${pkg.version}`);
      return 0;
    case "validate":
      return validateCommand(args.config as string, io);
    case "run":
      return runCommand(args.config ?? DEFAULT_CONFIG_PATH, io);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`statset: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
