/**
 * Function-variable overrides for `npm start` and `npm run invoke`: `.local/functions.env` (dotenv format, the path
 * moved with LOCAL_FUNCTION_ENV_FILE). A value there wins over s.yaml's and over the local defaults, for every
 * function: extra tenants' API_TOKENS, ORPHAN_GRACE_SECONDS=0 to watch the inventory scan at work, ...
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

const NAME = /^[A-Z_][A-Z0-9_]*$/;

/** LOCAL_FUNCTION_ENV_FILE, or `functions.env` in the local data dir. */
export function functionEnvFilePath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCAL_FUNCTION_ENV_FILE || join(dataDir, 'functions.env');
}

/** The overrides in `file`; none when it does not exist. A malformed name stops the start with the file named. */
export function readFunctionEnvFile(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const parsed = parseEnv(readFileSync(file, 'utf8'));
  const bad = Object.keys(parsed).filter((name) => !NAME.test(name));
  if (bad.length > 0)
    throw new Error(`${file}: not a variable name: ${bad.join(', ')} (use upper-case letters, digits and _)`);
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => e[1] !== undefined));
}
