/**
 * The proof a CA switch (or rollback) must pass on a listener: a client under the CA the listener now trusts is let
 * in, a client under the CA it no longer trusts is refused, and so is a client without a certificate. Made with
 * the rotation's two canaries, retried a little while the data plane catches up with its control plane.
 */
import type { ListenerMtls } from '../domain/listeners/desired-state.js';
import { probeRequestOf, type CanaryCredentials, type ProbeResult } from '../domain/listeners/ports.js';
import type { RotationDeps } from './context.js';

export interface HandshakeProof {
  listenerId: string;
  verdict: 'passed' | 'failed';
  reasons: string[];
  /** Under the CA the listener should trust now: must be let in. */
  trusted: ProbeResult;
  /** Under the CA it should no longer trust: must be refused. */
  distrusted: ProbeResult;
  withoutCertificate: ProbeResult;
}

const letIn = (p: ProbeResult, request: 'http' | 'none') =>
  p.outcome === 'answered' || (request === 'none' && p.outcome === 'accepted');
const describe = (p: ProbeResult) => `${p.outcome}${p.errorCode ? ` (${p.errorCode})` : ''}`;

export async function proveListener(
  deps: Pick<RotationDeps, 'prober' | 'sleep' | 'config'>,
  d: ListenerMtls,
  trusted: CanaryCredentials,
  distrusted: CanaryCredentials,
  labels: { trusted: string; distrusted: string },
): Promise<HandshakeProof> {
  const request = probeRequestOf(d.probe, deps.config.probeTimeoutMs);
  const withCanary = (c: CanaryCredentials) =>
    deps.prober.probe({ ...request, clientCertificateChainPem: c.certificateChainPem, clientKeyPem: c.privateKeyPem });
  let proof: HandshakeProof | undefined;
  for (let attempt = 1; attempt <= deps.config.verifyAttempts; attempt += 1) {
    const [a, b, c] = await Promise.all([withCanary(trusted), withCanary(distrusted), deps.prober.probe(request)]);
    const reasons: string[] = [];
    if (!letIn(a, d.probe.request)) reasons.push(`a client under ${labels.trusted} was not let in: ${describe(a)}`);
    if (b.outcome !== 'refused') reasons.push(`a client under ${labels.distrusted} was not refused: ${describe(b)}`);
    if (c.outcome !== 'refused') reasons.push(`a client without a certificate was not refused: ${describe(c)}`);
    proof = {
      listenerId: d.listenerId,
      verdict: reasons.length ? 'failed' : 'passed',
      reasons,
      trusted: a,
      distrusted: b,
      withoutCertificate: c,
    };
    if (proof.verdict === 'passed' || attempt === deps.config.verifyAttempts) break;
    await deps.sleep(deps.config.verifyRetryDelayMs * attempt);
  }
  return proof!;
}
