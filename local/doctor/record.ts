/**
 * `doctor --record DIR`: every answer a check got, saved in the contract format (product, version, action, the
 * request's parameters and the answer) so a later test can hold real answers to the contracts. Secrets and account
 * ids are removed before anything is written: private keys, tokens and passwords become `<redacted>`, 16-digit
 * account ids `<account-id>`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedCall {
  product: string;
  version: string;
  action: string;
  request: Record<string, unknown>;
  response: unknown;
}

const SECRET_KEY = /(^key$|privatekey|secret|token|password|encryptedcode|encrypteddata)/i;
const ACCOUNT_ID = /\b\d{16}\b/g;
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** A deep copy with secrets and account ids removed. */
export function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) && value) return '<redacted>';
    return value.replace(PRIVATE_KEY_PEM, '<redacted>').replace(ACCOUNT_ID, '<account-id>');
  }
  if (typeof value === 'number' && /^\d{16}$/.test(String(value))) return 0;
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redact(v, k)]));
  return value;
}

export class Recorder {
  private readonly counts = new Map<string, number>();
  readonly calls: RecordedCall[] = [];

  constructor(private readonly dir?: string) {}

  record(call: RecordedCall): void {
    const clean = redact(call) as RecordedCall;
    this.calls.push(clean);
    if (!this.dir) return;
    const folder = join(this.dir, `${call.product}-${call.version}`);
    const n = (this.counts.get(`${folder}/${call.action}`) ?? 0) + 1;
    this.counts.set(`${folder}/${call.action}`, n);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${call.action}.${n}.json`), JSON.stringify(clean, null, 2) + '\n');
  }
}
