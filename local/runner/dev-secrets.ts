/**
 * Secrets the local stack makes for itself (never used in the cloud): the state key, the dev bearer token and the
 * webhook signing secret. Kept in `<dataDir>/secrets.json` (mode 0600) so a restart keeps the same dev token
 * and can still open what was sealed with the state key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const DevSecretsSchema = z.strictObject({
  stateKey: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'stateKey must be 32 bytes, base64'),
  devToken: z.string().min(32),
  webhookSigningSecret: z.string().min(32),
});
export type DevSecrets = z.infer<typeof DevSecretsSchema>;

export function generateDevSecrets(): DevSecrets {
  return {
    stateKey: randomBytes(32).toString('base64'),
    devToken: `nma_dev_${randomBytes(32).toString('base64url')}`,
    webhookSigningSecret: randomBytes(32).toString('base64url'),
  };
}

export function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = DevSecretsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is not a valid local secrets file; delete it to generate new ones`);
    return parsed.data;
  }
  const secrets = generateDevSecrets();
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  return secrets;
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
