/**
 * The common part of every function's env reading: schemas for the kinds of variables we take (integers in a
 * range, booleans, required strings, the state key) and `parseEnv`, which stops the cold start with one message
 * naming each bad variable (never its value).
 */
import * as z from 'zod';

export function configError(what: string, message: string): never {
  throw new Error(`Invalid ${what} configuration: ${message}`);
}

/** The parsed env, or an error listing every bad variable: `Invalid <what> configuration: A: ...; B: ...`. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, what: string): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    configError(what, parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
  return parsed.data;
}

/** A required variable: the message also replaces zod's generic "expected string, received undefined" when it is absent. */
export const requiredString = (message: string, minLength = 1) => z.string({ error: message }).min(minLength, message);

/** An integer from `min` to `max`; absent or empty means `fallback`. */
export const intFromEnv = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** `true` or `false`; absent or empty means `fallback`. */
export const boolFromEnv = (fallback: boolean) =>
  z
    .enum(['true', 'false', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true'));

/** STATE_KEY: base64 of exactly 32 bytes (AES-256-GCM), shared by the functions that seal or open state. */
export const stateKeyFromEnv = (requiredMessage: string) =>
  requiredString(requiredMessage).refine(
    (v) => Buffer.from(v, 'base64').length === 32,
    'STATE_KEY must be base64 of exactly 32 bytes',
  );

/** WEBHOOK_MASTER_KEY: base64 of at least 32 random bytes; tenants' webhook secrets are derived from it. */
export const webhookMasterKeyFromEnv = () =>
  requiredString('WEBHOOK_MASTER_KEY is required (base64 of 32 random bytes)').refine(
    (v) => Buffer.from(v, 'base64').length >= 32,
    'WEBHOOK_MASTER_KEY must be base64 of at least 32 bytes',
  );
