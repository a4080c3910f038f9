/** Where the worker writes what it does: any object with these four methods (console works). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const ORDER = ["debug", "info", "warn", "error"] as const;
export type LoggerLevel = (typeof ORDER)[number];

/** Lines "<ISO time> <level> hewer-worker: <message>" on stderr, from `level` up. */
export function stderrLogger(level: LoggerLevel = "info"): Logger {
  const min = ORDER.indexOf(level);
  const line =
    (at: LoggerLevel) =>
    (message: string): void => {
      if (ORDER.indexOf(at) >= min) {
        process.stderr.write(`${new Date().toISOString()} ${at.toUpperCase()} hewer-worker: ${message}\n`);
      }
    };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}
