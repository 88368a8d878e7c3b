import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config';

/**
 * Reads `.env` (or the file ENV_FILE names; `ENV_FILE=` reads none) into process.env before the
 * configuration is parsed, in Node's own .env syntax (util.parseEnv, as `node --env-file`). Variables
 * already in the environment win over the file, so `PORT=6000 npm start` beats PORT in .env.
 * Returns the file read, if any; throws ConfigError when ENV_FILE names a file that cannot be read.
 * Used by the service and by the scripts that read its configuration.
 */
export function loadEnvFile(cwd: string = process.cwd()): string | undefined {
  const named = process.env.ENV_FILE;
  if (named !== undefined && named.trim() === '') return undefined;
  const file = path.resolve(cwd, named ?? '.env');
  // A missing default .env is normal; a missing file that ENV_FILE names is the operator's mistake.
  if (named === undefined && !fs.existsSync(file)) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'it is not readable by this user' : String((err as Error).message ?? err);
    throw new ConfigError(`cannot read ${named === undefined ? '.env' : `ENV_FILE ${named}`} (${file}): ${why}; fix it, or set ENV_FILE= to read no file.`);
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (process.env[name] === undefined && value !== undefined) process.env[name] = value;
  }
  return file;
}
