/**
 * The committed contracts (contracts/<product>-<version>/<Action>.json, generated from Alibaba's published SDK
 * models by `npm run contracts`), read once per process. The emulator takes its names and rules from here, never
 * from the code under test.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Schema {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'binary' | 'any' | 'array' | 'object' | 'map';
  items?: Schema;
  values?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  enum?: Array<string | number>;
  range?: { min: number; max: number };
  maxItems?: number;
  /** A string that carries JSON (`json-array`: a JSON array, such as DescribeClientCertificate.Sans). */
  format?: 'json' | 'json-array';
  description?: string;
  example?: string;
}

export interface ParameterContract extends Schema {
  name: string;
  in: 'query' | 'body' | 'header' | 'path';
  required: boolean;
  /** flat | repeatList (`Name.N`) | flatten (`Name.Field`) | json (one JSON string) | stream (the raw body). */
  style: 'flat' | 'repeatList' | 'flatten' | 'json' | 'stream' | string;
}

export interface Contract {
  product: string;
  version: string;
  action: string;
  summary?: string;
  source: { repository: string; commit: string; paths: string[] };
  http: { method: string; pathname: string; style: 'RPC' | 'ROA'; version: string };
  request: { parameters: ParameterContract[] };
  response: { body?: Schema; headers?: Schema };
  errors: Array<{ code: string; source: string; meaning?: string }>;
  errorsNote?: string;
}

export const CONTRACTS_DIR = fileURLToPath(new URL('../../../contracts/', import.meta.url));

let cache: Map<string, Contract> | undefined;

const keyOf = (product: string, version: string, action: string) => `${product}/${version}/${action}`;

function loadAll(): Map<string, Contract> {
  const all = new Map<string, Contract>();
  if (!existsSync(CONTRACTS_DIR)) throw new Error(`no contracts at ${CONTRACTS_DIR} (npm run contracts writes them)`);
  for (const dir of readdirSync(CONTRACTS_DIR)) {
    for (const file of readdirSync(join(CONTRACTS_DIR, dir))) {
      if (!file.endsWith('.json') || file.startsWith('_')) continue;
      const c = JSON.parse(readFileSync(join(CONTRACTS_DIR, dir, file), 'utf8')) as Contract;
      all.set(keyOf(c.product, c.version, c.action), c);
    }
  }
  return all;
}

export function contracts(): Map<string, Contract> {
  return (cache ??= loadAll());
}

export function contractFor(product: string, version: string, action: string): Contract | undefined {
  return contracts().get(keyOf(product, version, action));
}

/** A product's `_vocabulary.json`: named value lists the generator took from the models (with their source). */
export function vocabulary(product: string, version: string): Record<string, { values: string[] }> {
  return JSON.parse(readFileSync(join(CONTRACTS_DIR, `${product}-${version}`, '_vocabulary.json'), 'utf8'));
}
