/**
 * Where one certificate's files live: NAME.crt (leaf + intermediates), NAME.key (0600), ca.crt (the root new
 * certificates must chain to), NAME.json (the certificate id and API URL, no secret) and, while a renewal is in
 * flight, NAME.key.next (the new key, kept until its certificate is written so an interrupted renewal can finish).
 */
import { dirname, join, parse, resolve } from 'node:path';
import type { ParsedCommand } from './options.js';

export interface FileLayout {
  cert: string;
  key: string;
  ca: string;
  state: string;
  nextKey: string;
  p12: string;
  p12Password: string;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function fileLayout(cmd: ParsedCommand): FileLayout {
  const dir = resolve(cmd.get('dir') ?? '.');
  const name = cmd.get('name') ?? 'client';
  if (!NAME.test(name) || name.startsWith('.')) throw new Error('--name: letters, digits, . _ - only');
  const cert = resolve(cmd.get('cert') ?? join(dir, `${name}.crt`));
  const key = resolve(cmd.get('key') ?? join(dir, `${name}.key`));
  const ca = resolve(cmd.get('ca') ?? join(dir, 'ca.crt'));
  const base = join(dirname(cert), parse(cert).name);
  return {
    cert,
    key,
    ca,
    state: `${base}.json`,
    nextKey: `${key}.next`,
    p12: `${base}.p12`,
    p12Password: `${base}.p12.pass`,
  };
}
