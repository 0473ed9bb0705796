/**
 * The seed's rules, checked before anything is planned or changed. Each check is a small pure function that
 * returns a violation (the rule's name and why) or nothing; a listener with any violation is `blocked`.
 */
import type { ListenerMtls } from './desired-state.js';
import type { CaFacts, ListenerAttributes, ServerCertificateFacts, ServerGroupAttributes } from './ports.js';
import { certificateCoversHost } from './hostname.js';

export const Rules = {
  listenerExists: 'listener-exists',
  listenerProtocolTcpSsl: 'listener-protocol-tcpssl',
  serverGroupExists: 'server-group-exists',
  serverGroupProtocolTcp: 'server-group-protocol-tcp',
  clientIpPreservationOff: 'client-ip-preservation-off',
  caIssued: 'ca-issued',
  caNotExpiring: 'ca-not-expiring',
  serverCertificateValid: 'server-certificate-valid',
  serverCertificateCoversProbeHost: 'server-certificate-covers-probe-host',
  caChangeKeepsClients: 'ca-change-keeps-active-clients',
} as const;
export type RuleName = (typeof Rules)[keyof typeof Rules];

export interface RuleViolation {
  rule: RuleName;
  message: string;
}

/** Everything gathered for one listener. `undefined` = looked up and not found; `ca` is not looked up when mutual auth is off. */
export interface GatheredListener {
  listener?: ListenerAttributes;
  serverGroup?: ServerGroupAttributes;
  ca?: CaFacts;
  serverCertificate?: ServerCertificateFacts;
}

export interface RulePolicy {
  now: Date;
  /** A CA that expires within this many days is refused: clients issued under it would soon stop working. */
  caExpiryWindowDays: number;
}

type Check = (desired: ListenerMtls, gathered: GatheredListener, policy: RulePolicy) => RuleViolation | undefined;

const DAY_MS = 86_400_000;
/** CAS reports a usable CA as `ISSUE`; anything else (REVOKE, EXPIRED, ...) is not. */
const ISSUED_CA_STATUSES = new Set(['ISSUE', 'ISSUED', 'VALID']);

const listenerProtocol: Check = (d, g) => {
  if (!g.listener)
    return { rule: Rules.listenerExists, message: `listener ${d.listenerId} was not found in ${d.region}` };
  if (g.listener.protocol !== 'TCPSSL') {
    return {
      rule: Rules.listenerProtocolTcpSsl,
      message: `listener protocol is ${g.listener.protocol}; mutual TLS needs TCPSSL`,
    };
  }
  return undefined;
};

const serverGroupProtocol: Check = (_d, g) => {
  if (!g.listener) return undefined;
  if (!g.serverGroup)
    return {
      rule: Rules.serverGroupExists,
      message: `server group ${g.listener.serverGroupId ?? '(none)'} of the listener was not found`,
    };
  if (g.serverGroup.protocol !== 'TCP') {
    return {
      rule: Rules.serverGroupProtocolTcp,
      message: `server group ${g.serverGroup.serverGroupId} uses ${g.serverGroup.protocol}; a TCPSSL listener forwards decrypted traffic and needs TCP`,
    };
  }
  return undefined;
};

const clientIpPreservation: Check = (_d, g) => {
  if (!g.serverGroup?.preserveClientIpEnabled) return undefined;
  return {
    rule: Rules.clientIpPreservationOff,
    message: `server group ${g.serverGroup.serverGroupId} has client-IP preservation on; a TCPSSL listener cannot use such a group`,
  };
};

const caUsable: Check = (d, g, p) => {
  if (!d.mutualAuth) return undefined;
  if (!g.ca) return { rule: Rules.caIssued, message: `CA ${d.caCertificateId} was not found in the private CA` };
  if (!ISSUED_CA_STATUSES.has(g.ca.status.toUpperCase()))
    return { rule: Rules.caIssued, message: `CA ${g.ca.identifier} is ${g.ca.status}, not issued` };
  const daysLeft = (g.ca.notAfter.getTime() - p.now.getTime()) / DAY_MS;
  if (daysLeft < p.caExpiryWindowDays) {
    return {
      rule: Rules.caNotExpiring,
      message: `CA ${g.ca.identifier} expires ${g.ca.notAfter.toISOString()} (${Math.max(0, Math.floor(daysLeft))} days left, window ${p.caExpiryWindowDays})`,
    };
  }
  return undefined;
};

const serverCertificateValid: Check = (d, g, p) => {
  const c = g.serverCertificate;
  if (!c)
    return {
      rule: Rules.serverCertificateValid,
      message: `server certificate ${d.serverCertId} was not found in the certificate store`,
    };
  if (p.now < c.notBefore)
    return {
      rule: Rules.serverCertificateValid,
      message: `server certificate ${c.certIdentifier} is not valid before ${c.notBefore.toISOString()}`,
    };
  if (p.now >= c.notAfter)
    return {
      rule: Rules.serverCertificateValid,
      message: `server certificate ${c.certIdentifier} expired ${c.notAfter.toISOString()}`,
    };
  return undefined;
};

const serverCertificateCoversHost: Check = (d, g) => {
  const c = g.serverCertificate;
  if (!c || certificateCoversHost(c, d.probe.host)) return undefined;
  const names = c.dnsNames.length ? c.dnsNames.join(', ') : c.commonName;
  return {
    rule: Rules.serverCertificateCoversProbeHost,
    message: `server certificate ${c.certIdentifier} names ${names}, not ${d.probe.host}`,
  };
};

/** In the seed's order: listener, server group, client-IP preservation, then the CA and the server certificate. */
const SEED_CHECKS: Check[] = [
  listenerProtocol,
  serverGroupProtocol,
  clientIpPreservation,
  caUsable,
  serverCertificateValid,
  serverCertificateCoversHost,
];

export function checkSeedRules(desired: ListenerMtls, gathered: GatheredListener, policy: RulePolicy): RuleViolation[] {
  const violations: RuleViolation[] = [];
  for (const check of SEED_CHECKS) {
    const v = check(desired, gathered, policy);
    if (v) violations.push(v);
  }
  return violations;
}
