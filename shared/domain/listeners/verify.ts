/**
 * What the handshakes must show. With mutual auth on: the canary gets an answer, a client without a certificate
 * is refused. With it off: a client without a certificate gets an answer. Either way the listener presents the
 * declared server certificate (pinned by fingerprint, whoever signed it).
 */
import type { ListenerMtls } from './desired-state.js';
import type { ProbeResult } from './ports.js';

export interface VerifyReport {
  verdict: 'passed' | 'failed' | 'skipped';
  reasons: string[];
  withClientCertificate?: ProbeResult;
  withoutClientCertificate?: ProbeResult;
}

const describe = (p: ProbeResult) => `${p.outcome}${p.errorCode ? ` (${p.errorCode})` : ''}`;

function admitted(p: ProbeResult, request: 'http' | 'none'): boolean {
  return request === 'http' ? p.outcome === 'answered' : p.outcome === 'answered' || p.outcome === 'accepted';
}

export function judgeProbes(
  desired: ListenerMtls,
  expectedServerFingerprint: string | undefined,
  probes: { withClientCertificate?: ProbeResult; withoutClientCertificate: ProbeResult },
  /** A managed certificate just put on the listener: the handshake must show its serial number. */
  expectedServerSerial?: string,
): VerifyReport {
  const reasons: string[] = [];
  const { withClientCertificate: withCert, withoutClientCertificate: withoutCert } = probes;
  if (desired.mutualAuth) {
    if (!withCert) reasons.push('no canary handshake was made');
    else if (!admitted(withCert, desired.probe.request))
      reasons.push(`the canary client certificate was not let in: ${describe(withCert)}`);
    if (withoutCert.outcome !== 'refused') {
      reasons.push(
        withoutCert.outcome === 'error'
          ? `the handshake without a client certificate gave no TLS verdict: ${describe(withoutCert)}`
          : `a client without a certificate was let in: ${describe(withoutCert)}`,
      );
    }
  } else if (!admitted(withoutCert, desired.probe.request)) {
    reasons.push(`mutual auth is off but a client without a certificate was not let in: ${describe(withoutCert)}`);
  }
  if (expectedServerFingerprint) {
    for (const p of [withCert, withoutCert]) {
      const seen = p?.peerCertificate?.fingerprintSha256;
      if (seen && seen !== expectedServerFingerprint) {
        reasons.push(
          `the listener presents server certificate ${seen.slice(0, 16)}..., not the declared ${expectedServerFingerprint.slice(0, 16)}...`,
        );
        break;
      }
    }
  }
  if (expectedServerSerial) {
    const norm = (s: string) => s.toLowerCase().replace(/^0+(?=.)/, '');
    const seen = withoutCert.peerCertificate?.serialNumber ?? withCert?.peerCertificate?.serialNumber;
    if (!seen) reasons.push(`no handshake showed the server certificate, expected serial ${expectedServerSerial}`);
    else if (norm(seen) !== norm(expectedServerSerial))
      reasons.push(`the listener presents serial ${seen}, not the new certificate's ${expectedServerSerial}`);
  }
  return {
    verdict: reasons.length ? 'failed' : 'passed',
    reasons,
    ...(withCert ? { withClientCertificate: withCert } : {}),
    withoutClientCertificate: withoutCert,
  };
}
