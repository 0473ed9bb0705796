/**
 * The NLB data plane: every TCPSSL listener with a data plane listens on a local port, terminates TLS with its
 * server certificate from the certificate store and, with `CaEnabled`, demands a client certificate from its CA;
 * a client without one, or with a chain to another CA, is refused in the handshake with a TLS alert.
 * Decrypted bytes go round-robin to the server group's backends over plain TCP.
 *
 * A plain TCP server owns the port and hands each connection to the listener's current TLS server, so a
 * finished job swaps the TLS settings without closing the port or the connections already open.
 */
import {
  connect,
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, TLSSocket, type SecureContext, type SecureVersion } from 'node:tls';
import type { Logger } from '../../../shared/log/index.js';
import type { CaMaterial } from '../../../shared/pki/index.js';
import type { Listener, SecurityPolicy } from './model.js';
import type { NlbState } from './state.js';
import { selfAnchoredCa } from './trust-anchor.js';

export interface DataPlaneDeps {
  state: NlbState;
  /** Server certificate (leaf first, then chain) and key for a listener's CertificateIds entry. */
  serverCertificate(certificateId: string): { certPem: string; keyPem: string } | undefined;
  /** The CA (certificate and key) behind an id a listener reports in CaCertificateIds; undefined: unknown. */
  caMaterial(reportedCaId: string): CaMaterial | undefined;
  /** Where the backend with this ServerId answers. */
  backendAddress(serverId: string): { host: string; port: number } | undefined;
  /** The local port a listener should listen on (0 = any free port). */
  localPort(listenerId: string): number;
  log: Logger;
}

interface TlsPolicy {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers?: string;
}

/**
 * What the system TLS policies (names: contracts/nlb-2022-04-30/_vocabulary.json) allow, as the emulator serves
 * them; `_strict` keeps forward-secret AEAD suites only. The exact suites are ASSUMED (NLB's policy pages).
 */
export const SYSTEM_POLICY_SETTINGS: Record<string, TlsPolicy> = {
  tls_cipher_policy_1_0: { minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'DEFAULT:@SECLEVEL=0' },
  tls_cipher_policy_1_1: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.2', ciphers: 'DEFAULT:@SECLEVEL=0' },
  tls_cipher_policy_1_2: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' },
  tls_cipher_policy_1_2_strict: {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ciphers: 'ECDHE+AESGCM:ECDHE+CHACHA20',
  },
  tls_cipher_policy_1_2_strict_with_1_3: {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: 'ECDHE+AESGCM:ECDHE+CHACHA20',
  },
};

const TLS_VERSION: Record<string, SecureVersion> = {
  'TLSv1.0': 'TLSv1',
  'TLSv1.1': 'TLSv1.1',
  'TLSv1.2': 'TLSv1.2',
  'TLSv1.3': 'TLSv1.3',
};

/** A custom `tls-...` policy: its TLS versions and (OpenSSL-named) ciphers. */
function customPolicy(p: SecurityPolicy): TlsPolicy {
  const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as SecureVersion[];
  const versions = p.TlsVersions.map((v) => TLS_VERSION[v]).filter(Boolean);
  const sorted = order.filter((v) => versions.includes(v));
  return {
    minVersion: sorted[0] ?? 'TLSv1.2',
    maxVersion: sorted[sorted.length - 1] ?? 'TLSv1.2',
    ...(p.Ciphers.length ? { ciphers: p.Ciphers.join(':') } : {}),
  };
}

/** How a listener terminates TLS right now: its context and, with mutual TLS, the one CA it trusts. */
interface Termination {
  listenerId: string;
  context: SecureContext;
  anchor?: X509Certificate;
}

interface Port {
  tcp: TcpServer;
  tls: Termination | null;
  sockets: Set<Socket>;
  nextBackend: number;
}

/**
 * A client whose certificate is missing gets OpenSSL's own fatal alert in the handshake. One whose chain does not
 * verify can only be refused after the handshake in Node 20: it gets a TLS close_notify alert and the connection
 * ends before any byte reaches a backend, instead of a bare TCP close (docs/local-emulator.md).
 */
/** The peer's chain (leaf, then what it sent) leads to `anchor`, each link signed and within its validity. */
function chainsToAnchor(socket: TLSSocket, anchor: X509Certificate): boolean {
  const now = Date.now();
  const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
  const sent: X509Certificate[] = [];
  const seen = new Set<string>();
  let cert = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    sent.push(new X509Certificate(cert.raw));
    cert = cert.issuerCertificate;
  }
  let current = sent[0];
  for (let hops = 0; current && hops < 8; hops += 1) {
    if (!valid(current)) return false;
    if (current.checkIssued(anchor) && current.verify(anchor.publicKey)) return valid(anchor);
    const issuer = sent.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer || !issuer.ca) return false;
    current = issuer;
  }
  return false;
}

function refuse(socket: TLSSocket): void {
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}

export class DataPlane {
  private readonly ports = new Map<string, Port>();
  private readonly opening = new Map<string, Promise<Port>>();
  private readonly onListener = (listenerId: string) =>
    void this.sync(listenerId).catch((err: unknown) =>
      this.deps.log.error('data plane reconfiguration failed', { listenerId, errorMessage: String(err) }),
    );

  constructor(private readonly deps: DataPlaneDeps) {}

  async start(): Promise<void> {
    this.deps.state.onListenerChange(this.onListener);
    for (const l of this.deps.state.listeners()) await this.sync(l.ListenerId);
  }

  /** The local port serving a listener, if it has a data plane. */
  portOf(listenerId: string): number | undefined {
    const port = this.ports.get(listenerId);
    return port ? (port.tcp.address() as AddressInfo).port : undefined;
  }

  async close(): Promise<void> {
    this.deps.state.offListenerChange(this.onListener);
    await Promise.all(
      [...this.ports.values()].map(
        (p) =>
          new Promise<void>((resolve) => {
            for (const s of p.sockets) s.destroy();
            p.tcp.close(() => resolve());
          }),
      ),
    );
    this.ports.clear();
  }

  /** Opens or reconfigures the listener's port to match its current settings. */
  async sync(listenerId: string): Promise<void> {
    const listener = this.deps.state.getListener(listenerId);
    if (!listener || !listener.emulator.dataPlane || listener.ListenerProtocol !== 'TCPSSL') return;
    let port = this.ports.get(listenerId);
    if (!port) {
      let opening = this.opening.get(listenerId);
      if (!opening) {
        opening = this.open(listener);
        this.opening.set(listenerId, opening);
      }
      port = await opening.finally(() => this.opening.delete(listenerId));
      this.ports.set(listenerId, port);
    }
    const current = this.deps.state.getListener(listenerId);
    if (!current) return;
    const ca =
      current.CaEnabled && current.CaCertificateIds[0] ? this.deps.caMaterial(current.CaCertificateIds[0]) : undefined;
    const anchor = ca ? await selfAnchoredCa(ca) : undefined;
    // While Configuring the old settings keep serving; the job's end emits the event that lands here.
    const latest = this.deps.state.getListener(listenerId);
    if (latest) port.tls = this.buildTls(latest, ca && anchor);
  }

  private async open(listener: Listener): Promise<Port> {
    const port: Port = { tcp: createTcpServer(), tls: null, sockets: new Set(), nextBackend: 0 };
    port.tcp.on('connection', (socket) => {
      port.sockets.add(socket);
      socket.on('close', () => port.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      if (!port.tls) {
        socket.destroy();
        return;
      }
      this.terminate(socket, port.tls, port);
    });
    await new Promise<void>((resolve, reject) => {
      port.tcp.once('error', reject);
      port.tcp.listen(this.deps.localPort(listener.ListenerId), '127.0.0.1', () => resolve());
    });
    return port;
  }

  private policy(id: string): TlsPolicy {
    const custom = this.deps.state.getSecurityPolicy(id);
    return custom ? customPolicy(custom) : (SYSTEM_POLICY_SETTINGS[id] ?? SYSTEM_POLICY_SETTINGS.tls_cipher_policy_1_2);
  }

  /** `anchor`: the trusted CA as a self-signed certificate (see trust-anchor.ts); undefined when mutual TLS is off. */
  private buildTls(listener: Listener, anchor: string | undefined): Termination | null {
    const server = listener.CertificateIds[0] ? this.deps.serverCertificate(listener.CertificateIds[0]) : undefined;
    if (!server) {
      this.deps.log.warn('listener has no usable server certificate; refusing connections', {
        listenerId: listener.ListenerId,
      });
      return null;
    }
    const policy = this.policy(listener.SecurityPolicyId);
    if (listener.CaEnabled && !anchor) {
      this.deps.log.warn('listener CA is unknown; refusing connections', { listenerId: listener.ListenerId });
      return null;
    }
    const context = createSecureContext({
      key: server.keyPem,
      cert: server.certPem,
      minVersion: policy.minVersion,
      maxVersion: policy.maxVersion,
      ...(policy.ciphers ? { ciphers: policy.ciphers } : {}),
      ...(anchor ? { ca: [anchor] } : {}),
    });
    return { listenerId: listener.ListenerId, context, ...(anchor ? { anchor: new X509Certificate(anchor) } : {}) };
  }

  /**
   * One TLS connection. With mutual TLS, OpenSSL refuses a client without a certificate in the handshake (fatal
   * alert); the chain is then checked against the one trusted CA here, because Node's OpenSSL verify callback
   * always continues: a chain that does not lead to it is refused with close_notify, before any byte is forwarded.
   */
  private terminate(socket: Socket, tls: Termination, port: Port): void {
    const mutual = Boolean(tls.anchor);
    const secure = new TLSSocket(socket, {
      isServer: true,
      secureContext: tls.context,
      requestCert: mutual,
      rejectUnauthorized: mutual,
    });
    secure.on('error', () => secure.destroy());
    secure.once('secure', () => {
      if (tls.anchor && !chainsToAnchor(secure, tls.anchor)) {
        refuse(secure);
        return;
      }
      this.forward(tls.listenerId, secure, port);
    });
  }

  private forward(listenerId: string, socket: TLSSocket, port: Port): void {
    const listener = this.deps.state.getListener(listenerId);
    const group = listener ? this.deps.state.getServerGroup(listener.ServerGroupId) : undefined;
    const servers = group?.Servers ?? [];
    const server = servers.length > 0 ? servers[port.nextBackend++ % servers.length] : undefined;
    const address = server ? this.deps.backendAddress(server.ServerId) : undefined;
    if (!address) {
      socket.destroy();
      return;
    }
    const upstream = connect(address.port, address.host);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.end());
    socket.pipe(upstream);
    upstream.pipe(socket);
  }
}
