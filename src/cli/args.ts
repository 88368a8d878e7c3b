import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config';
import { loadEnvFile } from '../env-file';

/** Exit code of a command line the user must fix (the usage line says how). */
export const EXIT_USAGE = 2;

/** Thrown for a bad command line; `message` is one line saying what is wrong. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>;

/**
 * node:util parseArgs for the scripts' command lines, with `--help`/`-h` added: returns the values,
 * `'help'` when help was asked for, or throws UsageError (unknown option, missing value, extra
 * positionals) instead of parseArgs' TypeError with its stack.
 */
export function parseCommandLine<O extends Options>(argv: string[], options: O, maxPositionals = 0): ParsedArgs<O> | 'help' {
  const withHelp = { ...options, help: { type: 'boolean', short: 'h' } } as O;
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({ args: argv, options: withHelp, allowPositionals: true, strict: true });
  } catch (err) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, ..._INVALID_OPTION_VALUE, ..._UNEXPECTED_POSITIONAL: one line each.
    const message = err instanceof Error ? err.message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '') : String(err);
    throw new UsageError(message);
  }
  if ((parsed.values as Record<string, unknown>).help === true) return 'help';
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument '${parsed.positionals[maxPositionals]}'`);
  }
  return parsed;
}

/**
 * Runs a script's command-line handling: `--help` prints the usage on stdout and exits 0; a
 * UsageError prints its line and the usage on stderr and exits 2. Anything else is rethrown.
 */
export function withUsage<T>(usage: string, parse: () => T | 'help'): T {
  let result: T | 'help';
  try {
    result = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${usage}\n`);
    process.exit(EXIT_USAGE);
  }
  if (result === 'help') {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return result;
}

/**
 * The service's configuration, from the environment and `.env`, as the service itself reads it at
 * start; a bad one is its one-line message on stderr and exit code 2 (for the service and the commands).
 */
export function configOrExit(): Config {
  try {
    loadEnvFile();
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
}
