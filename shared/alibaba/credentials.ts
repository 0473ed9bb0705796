/**
 * Which keys sign a call. In FC the role's temporary keys (valid 36 hours, Function Compute "Context" page) come
 * with every invocation in `context.credentials`; the env copy (ALIBABA_CLOUD_*) is from the instance's start and
 * may expire while the instance lives (audit D10). So every adapter asks a CredentialSource at call time, and the
 * functions' handlers hand each invocation's credentials to `invocationCredentials` before anything runs.
 */
import type { AlibabaCredentials } from './rpc.js';

export interface CredentialSource {
  /** The keys to sign the next call with. */
  current(): AlibabaCredentials;
}

export type CredentialInput = AlibabaCredentials | CredentialSource;

export function toCredentialSource(input: CredentialInput): CredentialSource {
  if ('current' in input && typeof input.current === 'function') return input;
  const fixed = input as AlibabaCredentials;
  return { current: () => fixed };
}

/** The credentials FC handed the invocation being served; absent before the first (and in tests and CLIs). */
class InvocationCredentials {
  private latest: AlibabaCredentials | undefined;

  /** Takes `context.credentials` when it carries a key pair; anything else leaves the previous keys in place. */
  update(context: unknown): void {
    const c = (context as { credentials?: Partial<Record<keyof AlibabaCredentials, unknown>> } | undefined)
      ?.credentials;
    if (!c || typeof c.accessKeyId !== 'string' || typeof c.accessKeySecret !== 'string') return;
    if (!c.accessKeyId || !c.accessKeySecret) return;
    this.latest = {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      ...(typeof c.securityToken === 'string' && c.securityToken ? { securityToken: c.securityToken } : {}),
    };
  }

  get(): AlibabaCredentials | undefined {
    return this.latest;
  }

  /** Tests only: forget what an earlier invocation brought. */
  reset(): void {
    this.latest = undefined;
  }
}

export const invocationCredentials = new InvocationCredentials();

/** The current invocation's keys, else the ones read from the env at cold start. */
export function functionCredentials(fromEnv: AlibabaCredentials): CredentialSource {
  return { current: () => invocationCredentials.get() ?? fromEnv };
}

/** Wraps an FC handler so each invocation's `context.credentials` sign the calls it makes. */
export function withInvocationCredentials<E, C, R>(handler: (event: E, context: C) => R): (event: E, context: C) => R {
  return (event, context) => {
    invocationCredentials.update(context);
    return handler(event, context);
  };
}
