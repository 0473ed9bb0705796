/**
 * Secrets the local stack makes for itself (never used in the cloud): the state key, the dev bearer token and the
 * webhook master key. Kept in `<dataDir>/secrets.json` (mode 0600, in a 0700 directory) so a restart keeps the
 * same dev token and can still open what was sealed with the state key. A file from an older version (with the
 * retired `webhookSigningSecret`) gets the missing keys added instead of being refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { ensurePrivateDir, writePrivateFile } from './private-files.js';

const DevSecretsSchema = z.strictObject({
  stateKey: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'stateKey must be 32 bytes, base64'),
  devToken: z.string().min(32),
  webhookMasterKey: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length >= 32, 'webhookMasterKey must be 32 bytes, base64'),
});
export type DevSecrets = z.infer<typeof DevSecretsSchema>;

export function generateDevSecrets(): DevSecrets {
  return {
    stateKey: randomBytes(32).toString('base64'),
    devToken: `nma_dev_${randomBytes(32).toString('base64url')}`,
    webhookMasterKey: randomBytes(32).toString('base64'),
  };
}

export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const { webhookSigningSecret: _retired, ...kept } = raw;
    const upgraded = { webhookMasterKey: randomBytes(32).toString('base64'), ...kept };
    const parsed = DevSecretsSchema.safeParse(upgraded);
    if (!parsed.success) throw new Error(`${file} is not a valid local secrets file; delete it to generate new ones`);
    // Rewritten (0600) when keys were added, and in any case its mode is repaired.
    writePrivateFile(file, JSON.stringify(parsed.data, null, 2) + '\n');
    return parsed.data;
  }
  const secrets = generateDevSecrets();
  writePrivateFile(file, JSON.stringify(secrets, null, 2) + '\n');
  return secrets;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
