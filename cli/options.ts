/**
 * Flags, environment and config file as one table per command: each option names its flag, its variable and its
 * config key, so `--help`, parsing and the docs say the same thing. Precedence: flag, then environment, then the
 * config file (`--config` / `NLB_MTLS_CONFIG`, JSON), then the default.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CliError, EXIT, usageError } from './exit-codes.js';

export interface OptionSpec {
  name: string;
  type: 'string' | 'boolean' | 'list';
  env?: string;
  /** Key in the config file (camelCase); absent = flag (and env) only. */
  config?: string;
  /** A file or directory: relative values in the config file are relative to that file. */
  path?: boolean;
  placeholder?: string;
  description: string;
  defaultText?: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description: string[];
  options: OptionSpec[];
  examples: string[];
}

/** What every command reads the same way. */
export const COMMON_OPTIONS: OptionSpec[] = [
  {
    name: 'config',
    type: 'string',
    env: 'NLB_MTLS_CONFIG',
    path: true,
    placeholder: 'FILE',
    description: 'JSON file with settings (keys: the camelCase names below)',
  },
  {
    name: 'json',
    type: 'boolean',
    description: 'machine-readable output on stdout (one JSON document; the agent: one JSON line per event)',
  },
  { name: 'quiet', type: 'boolean', description: 'no progress lines on stderr' },
  {
    name: 'timeout',
    type: 'string',
    env: 'NLB_MTLS_TIMEOUT',
    config: 'timeout',
    placeholder: 'SECONDS',
    description: 'network timeout per request',
    defaultText: '30',
  },
  { name: 'help', type: 'boolean', description: 'show this help' },
];

/** Where the certificate lives on this machine. */
export const FILE_OPTIONS: OptionSpec[] = [
  {
    name: 'dir',
    type: 'string',
    env: 'NLB_MTLS_DIR',
    config: 'dir',
    path: true,
    placeholder: 'DIR',
    description: 'directory of the files below',
    defaultText: '.',
  },
  {
    name: 'name',
    type: 'string',
    env: 'NLB_MTLS_NAME',
    config: 'name',
    placeholder: 'NAME',
    description: 'base name of the files: NAME.crt, NAME.key, NAME.json',
    defaultText: 'client',
  },
  {
    name: 'cert',
    type: 'string',
    env: 'NLB_MTLS_CERT',
    config: 'cert',
    path: true,
    placeholder: 'FILE',
    description: 'certificate + intermediates (PEM)',
    defaultText: 'DIR/NAME.crt',
  },
  {
    name: 'key',
    type: 'string',
    env: 'NLB_MTLS_KEY',
    config: 'key',
    path: true,
    placeholder: 'FILE',
    description: 'private key (PKCS#8 PEM, mode 0600)',
    defaultText: 'DIR/NAME.key',
  },
  {
    name: 'ca',
    type: 'string',
    env: 'NLB_MTLS_CA',
    config: 'ca',
    path: true,
    placeholder: 'FILE',
    description: 'trusted root CA (PEM): new certificates must chain to it',
    defaultText: 'DIR/ca.crt',
  },
];

export const API_OPTION: OptionSpec = {
  name: 'api',
  type: 'string',
  env: 'NLB_MTLS_API',
  config: 'api',
  placeholder: 'URL',
  description: 'cert-api base URL (https; http only for 127.0.0.1/localhost)',
  defaultText: 'the one in NAME.json',
};
export const TOKEN_OPTION: OptionSpec = {
  name: 'token',
  type: 'string',
  env: 'NLB_MTLS_TOKEN',
  config: 'token',
  placeholder: 'TOKEN',
  description: 'bearer token (prefer the environment: flags show in `ps`)',
};
export const NOW_OPTION: OptionSpec = {
  name: 'now',
  type: 'string',
  env: 'NLB_MTLS_NOW',
  placeholder: 'ISO-TIME',
  description: 'FOR TESTS: run the clock from this instant (decides what is due; proofs still use the real clock)',
};

export interface ParsedCommand {
  positionals: string[];
  /** A setting by option name, resolved flag > env > config > undefined. */
  get(name: string): string | undefined;
  flag(name: string): boolean;
  list(name: string): string[];
  /** Where the value came from, for messages. */
  source(name: string): string;
}

type ConfigValue = string | number | boolean | string[];

function readConfig(file: string, options: OptionSpec[]): Record<string, ConfigValue> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new CliError(
      EXIT.USAGE,
      'CONFIG_UNREADABLE',
      `Cannot read the config file ${file}: ${(cause as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.USAGE, 'CONFIG_INVALID', `The config file ${file} is not valid JSON.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new CliError(EXIT.USAGE, 'CONFIG_INVALID', `The config file ${file} must hold one JSON object.`);
  const known = new Set(ALL_CONFIG_KEYS);
  for (const [key, value] of Object.entries(parsed)) {
    if (!known.has(key))
      throw new CliError(
        EXIT.USAGE,
        'CONFIG_INVALID',
        `Unknown key "${key}" in ${file} (known: ${[...known].sort().join(', ')}).`,
      );
    const ok =
      ['string', 'number', 'boolean'].includes(typeof value) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok)
      throw new CliError(
        EXIT.USAGE,
        'CONFIG_INVALID',
        `"${key}" in ${file} must be a string, number, boolean or list of strings.`,
      );
  }
  const values = parsed as Record<string, ConfigValue>;
  // Relative paths in a config file mean "next to the config file", wherever the command runs.
  for (const option of options) {
    const value = option.config ? values[option.config] : undefined;
    if (option.path && typeof value === 'string' && !isAbsolute(value))
      values[option.config!] = resolve(dirname(file), value);
  }
  return values;
}

const ALL_CONFIG_KEYS: string[] = [];
export function registerConfigKeys(options: OptionSpec[]): void {
  for (const o of options) if (o.config && !ALL_CONFIG_KEYS.includes(o.config)) ALL_CONFIG_KEYS.push(o.config);
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off|)$/i;

export function parseCommand(spec: CommandSpec, argv: string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        spec.options.map((o) => [
          o.name,
          { type: o.type === 'boolean' ? 'boolean' : 'string', multiple: o.type === 'list' },
        ]),
      ),
    });
  } catch (err) {
    // node's parseArgs adds advice about positionals that start with '-' (with an unbalanced quote): not ours.
    const message = (err as Error).message
      .replace(/^TypeError \[[A-Z_]+\]: /, '')
      .replace(/\. To specify a positional argument starting with a '-'.*$/s, '.');
    throw usageError(message, `nlb-mtls ${spec.name} --help`);
  }
  const flags = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const configFile = (flags.config as string | undefined) ?? (env.NLB_MTLS_CONFIG || undefined);
  const config = configFile && !flags.help ? readConfig(resolve(configFile), spec.options) : {};

  const raw = (name: string): { value: ConfigValue | undefined; source: string } => {
    const option = byName.get(name);
    if (!option) throw new Error(`unknown option ${name}`);
    if (flags[name] !== undefined) return { value: flags[name] as ConfigValue, source: `--${name}` };
    if (option.env && env[option.env] !== undefined && env[option.env] !== '')
      return { value: env[option.env], source: option.env };
    if (option.config && config[option.config] !== undefined)
      return { value: config[option.config], source: `"${option.config}" in ${configFile}` };
    return { value: undefined, source: 'default' };
  };
  return {
    positionals: parsed.positionals,
    get(name) {
      const { value, source } = raw(name);
      if (value === undefined) return undefined;
      if (typeof value === 'string' || typeof value === 'number') return String(value);
      throw usageError(`${source} must be a single value.`);
    },
    flag(name) {
      const { value, source } = raw(name);
      if (value === undefined || typeof value === 'boolean') return value === true;
      if (typeof value === 'string' && TRUE.test(value)) return true;
      if (typeof value === 'string' && FALSE.test(value)) return false;
      throw usageError(`${source} must be true or false.`);
    },
    list(name) {
      const { value } = raw(name);
      if (value === undefined) return [];
      return Array.isArray(value) ? value : [String(value)];
    },
    source: (name) => raw(name).source,
  };
}
