/**
 * Per-tenant webhook signing secrets, so no tenant can forge another tenant's events. A secret is derived, never
 * stored: `whsec_` + base64(HMAC-SHA256(WEBHOOK_MASTER_KEY, "nma/webhook-secret/v1|<tenant>|<version>")). The
 * bucket only holds which version is current (`webhook-secrets/<tenant>/v<inverted version>.json`, written
 * create-only, newest first in a listing), so a leaked bucket reveals no secret and rotation needs no secret
 * storage. After a rotation the previous version stays valid for signatures for `ROTATION_GRACE_MS`, so receivers
 * can switch without losing events. A tenant that never rotated is at version 1 (no object).
 */
import { createHmac } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { ObjectExistsError, type Clock, type ObjectStore } from '../domain/ports.js';
import { WEBHOOK_SECRET_PREFIX } from './signature.js';

export const ROTATION_GRACE_MS = 24 * 3600_000;
const MAX_VERSION = 9_999_999_999;
const PREFIX = 'webhook-secrets/';

export interface TenantWebhookSecret {
  tenant: string;
  version: number;
  secret: string;
  /** When this version became current (absent for the implicit version 1). */
  createdAt?: string;
  /** The version before it, while it still signs events (until `validUntil`). */
  previous?: { version: number; validUntil: string };
}

interface VersionObject {
  v: 1;
  version: number;
  createdAt: string;
}

export class RotationConflictError extends AppError {
  constructor() {
    super('WEBHOOK_SECRET_ROTATION_CONFLICT', 409, 'Another rotation of this secret finished first; read it again.', {
      retryable: true,
    });
  }
}

export function deriveWebhookSecret(masterKey: Buffer, tenant: string, version: number): string {
  const key = createHmac('sha256', masterKey).update(`nma/webhook-secret/v1|${tenant}|${version}`).digest();
  return `${WEBHOOK_SECRET_PREFIX}${key.toString('base64')}`;
}

const versionKey = (tenant: string, version: number) =>
  `${PREFIX}${tenant}/v${String(MAX_VERSION - version).padStart(10, '0')}.json`;

export interface WebhookSecrets {
  /** The tenant's current secret (and the previous one while it is still in its grace period). */
  current(tenant: string): Promise<TenantWebhookSecret>;
  /** Makes a new version current; the old one keeps signing for the grace period. */
  rotate(tenant: string): Promise<TenantWebhookSecret>;
  /** What renew-worker signs an event with: the current secret first, then the previous one during its grace. */
  signingSecrets(tenant: string): Promise<string[]>;
}

export function createWebhookSecrets(deps: { masterKey: Buffer; store: ObjectStore; clock: Clock }): WebhookSecrets {
  if (deps.masterKey.length < 32) throw new Error('WEBHOOK_MASTER_KEY must hold at least 32 bytes');
  const derive = (tenant: string, version: number) => deriveWebhookSecret(deps.masterKey, tenant, version);

  async function versions(tenant: string): Promise<VersionObject[]> {
    const page = await deps.store.list({ prefix: `${PREFIX}${tenant}/`, maxKeys: 2 });
    const found: VersionObject[] = [];
    for (const key of page.keys) {
      const body = await deps.store.get(key);
      if (body) found.push(JSON.parse(body.toString('utf8')) as VersionObject);
    }
    return found;
  }

  async function current(tenant: string): Promise<TenantWebhookSecret> {
    const [latest, before] = await versions(tenant);
    if (!latest) return { tenant, version: 1, secret: derive(tenant, 1) };
    const validUntil = Date.parse(latest.createdAt) + ROTATION_GRACE_MS;
    const previousVersion = before?.version ?? (latest.version === 2 ? 1 : undefined);
    return {
      tenant,
      version: latest.version,
      secret: derive(tenant, latest.version),
      createdAt: latest.createdAt,
      ...(previousVersion !== undefined && validUntil > deps.clock.now().getTime()
        ? { previous: { version: previousVersion, validUntil: new Date(validUntil).toISOString() } }
        : {}),
    };
  }

  return {
    current,
    async rotate(tenant) {
      const now = deps.clock.now();
      const { version } = await current(tenant);
      const next: VersionObject = { v: 1, version: version + 1, createdAt: now.toISOString() };
      try {
        await deps.store.put(versionKey(tenant, next.version), JSON.stringify(next), {
          contentType: 'application/json',
          ifAbsent: true,
        });
      } catch (err) {
        if (err instanceof ObjectExistsError) throw new RotationConflictError();
        throw err;
      }
      return current(tenant);
    },
    async signingSecrets(tenant) {
      const now = await current(tenant);
      return [now.secret, ...(now.previous ? [derive(tenant, now.previous.version)] : [])];
    },
  };
}
