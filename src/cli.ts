/**
 * The statset command line:
 *
 *   statset run [--config FILE]      run the daemon (default: otel-config/default.yaml)
 *   statset validate --config FILE   check a configuration; lists every problem, exits 1 if any
 *   statset --help | --version
 *
 * Failures to start (unreadable or invalid config, a port in use) exit 1 with one line on stderr
 * naming the cause. SIGTERM and SIGINT shut down gracefully (stop accepting, drain, flush) and
 * exit 0, however often they repeat during the drain; only `service::shutdown_timeout` (exit 1) or a
 * second SIGINT at least 3 s after the first (exit 130) cut the drain short (src/stop-signals.ts).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultRegistry } from "./components/registry.ts";
import { ConfigLoadError, formatConfigError, loadConfigFile } from "./config/loader.ts";
import { Daemon } from "./daemon.ts";
import { PACKAGE_ROOT } from "./package-root.ts";
import { StopSignals, type StopSignal } from "./stop-signals.ts";
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

/** Exit code when `service::shutdown_timeout` passed before the shutdown finished. */
export const EXIT_SHUTDOWN_TIMEOUT = 1;
/** Exit code when a second SIGINT abandoned the shutdown (128 + SIGINT, as shells report it). */
export const EXIT_SHUTDOWN_ABANDONED = 130;

/**
 * Runs the daemon until SIGTERM/SIGINT; resolves with the exit code. Signals are handled from the
 * moment the configuration is read, also while the daemon starts (a Kafka receiver still
 * connecting): see src/stop-signals.ts for what repeated signals do.
 */
export async function runCommand(file: string, io: CliIo = STD_IO): Promise<number> {
  const signals = new StopSignals();
  let daemon: Daemon | null = null;
  let settle = (_code: number): void => {};
  const exitCode = new Promise<number>((resolve) => (settle = resolve));
  let shutdownStartedMs = 0;
  /** The signal that came before the daemon was built. */
  let early: StopSignal | null = null;

  const beginShutdown = (d: Daemon, signal: StopSignal): void => {
    shutdownStartedMs = Date.now();
    const timeoutMs = d.config.service.shutdownTimeoutMs;
    d.logger.info({ signal, shutdownTimeoutMs: timeoutMs }, "signal received; shutting down");
    const timer = setTimeout(() => {
      io.err(`statset: shutdown did not finish within ${timeoutMs} ms (service::shutdown_timeout); exiting ${EXIT_SHUTDOWN_TIMEOUT}`);
      d.abandonShutdown("shutdown_timeout");
      settle(EXIT_SHUTDOWN_TIMEOUT);
    }, timeoutMs);
    timer.unref();
    void d.shutdown().then(() => {
      clearTimeout(timer);
      settle(0);
    });
  };

  const onSignal = (signal: StopSignal): void => {
    const decision = signals.decide(signal);
    if (daemon === null) {
      early ??= signal; // not built yet: it will not be started (see below)
      return;
    }
    if (decision.action === "shutdown") beginShutdown(daemon, signal);
    else if (decision.action === "ignore") daemon.logger.info({ signal, elapsedMs: Date.now() - shutdownStartedMs, why: decision.why }, "signal received during shutdown; the drain continues");
    else {
      io.err(`statset: second SIGINT; abandoning the shutdown and exiting ${EXIT_SHUTDOWN_ABANDONED}`);
      daemon.abandonShutdown("sigint");
      settle(EXIT_SHUTDOWN_ABANDONED);
    }
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  const removeHandlers = (): void => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  };

  let restoreWarnings = (): void => {};
  try {
    const config = await loadConfigFile(file, { registry: defaultRegistry });
    const d = await Daemon.create(config);
    daemon = d;
    restoreWarnings = routeProcessWarnings(d.logger);
    if (early !== null) {
      // A signal came while the configuration was read: nothing was started, nothing to drain.
      d.logger.info({ signal: early }, "signal received before start; not starting");
      beginShutdown(d, early);
    } else {
      // A signal during start() shuts down what is starting; start() then resolves early.
      await d.start();
    }
  } catch (e) {
    restoreWarnings();
    removeHandlers();
    io.err(`statset: ${oneLine(e, file)}`);
    return 1;
  }
  return exitCode.finally(() => {
    restoreWarnings();
    removeHandlers();
  });
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
