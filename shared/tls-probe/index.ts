/**
 * A real TLS handshake against a listener, as a client would make it: SNI, optionally a client certificate
 * chain and key, optionally a CA to check the server's chain. Tells "the TLS layer refused us" apart from
 * "we could not reach it": under TLS 1.3 a server rejects a client certificate AFTER the client's handshake
 * completes, so the verdict waits for the answer's first bytes, the server's alert or its hang-up.
 */
import * as tls from 'node:tls';
import type { ProbeRequest, ProbeResult, TlsProber } from '../domain/listeners/ports.js';

export type { ProbeRequest, ProbeResult } from '../domain/listeners/ports.js';

const FIRST_BYTES = 128;
/** With `request: 'none'`, how long to wait after the handshake for a refusal before calling it accepted. */
const ALERT_GRACE_MS = 500;

function printable(buf: Buffer): string {
  return buf
    .subarray(0, FIRST_BYTES)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
}

function dnsNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** A TLS-level refusal (alert, failed handshake) as opposed to a network problem. */
function isTlsRefusal(err: NodeJS.ErrnoException): boolean {
  return /^ERR_SSL_/.test(err.code ?? '') || /alert|handshake|certificate|wrong version/i.test(err.message);
}

export function probeTls(request: ProbeRequest): Promise<ProbeResult> {
  const started = Date.now();
  const clientCertificateSent = Boolean(request.clientCertificateChainPem && request.clientKeyPem);
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let tcpConnected = false;
    let handshakeDone = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const partial: Partial<ProbeResult> = {};
    const chunks: Buffer[] = [];

    const socket = tls.connect({
      host: request.host,
      port: request.port,
      servername: request.servername,
      ...(clientCertificateSent ? { cert: request.clientCertificateChainPem, key: request.clientKeyPem } : {}),
      ...(request.trustedCaPem ? { ca: request.trustedCaPem } : {}),
      // The verdict on the server's identity is ours (fingerprint pin, optional CA check), not a thrown error.
      rejectUnauthorized: false,
      timeout: request.timeoutMs,
    });

    const finish = (result: Omit<ProbeResult, 'durationMs' | 'clientCertificateSent'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      clearTimeout(deadline);
      socket.destroy();
      resolve({ ...partial, ...result, clientCertificateSent, durationMs: Date.now() - started });
    };
    const answered = () => {
      const bytes = Buffer.concat(chunks);
      const cap = request.readAnswerBytes;
      return {
        outcome: 'answered' as const,
        firstBytes: printable(bytes),
        ...(cap ? { answer: bytes.subarray(0, cap).toString('utf8') } : {}),
      };
    };
    const deadline = setTimeout(() => {
      if (chunks.length) return finish(answered());
      finish(
        handshakeDone && chunks.length === 0 && request.request === 'none'
          ? { outcome: 'accepted' }
          : { outcome: 'error', errorCode: 'ETIMEDOUT', errorMessage: `no verdict within ${request.timeoutMs} ms` },
      );
    }, request.timeoutMs);

    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('secureConnect', () => {
      handshakeDone = true;
      const peer = socket.getPeerCertificate(false);
      const cipher = socket.getCipher();
      partial.protocol = socket.getProtocol() ?? undefined;
      partial.cipher = cipher?.name;
      if (peer && peer.fingerprint256) {
        partial.peerCertificate = {
          commonName: first(peer.subject?.CN),
          dnsNames: dnsNames(peer.subjectaltname),
          issuer: first(peer.issuer?.CN),
          notAfter: peer.valid_to ? new Date(peer.valid_to).toISOString() : undefined,
          fingerprintSha256: peer.fingerprint256.replace(/:/g, '').toLowerCase(),
        };
      }
      if (request.trustedCaPem) {
        partial.serverAuthorized = socket.authorized;
        if (!socket.authorized && socket.authorizationError)
          partial.serverAuthorizationError = String(socket.authorizationError);
      }
      if (request.request === 'http') {
        socket.write(
          `GET / HTTP/1.1\r\nHost: ${request.httpHost}\r\nUser-Agent: nlb-mtls-autopilot-probe\r\nConnection: close\r\n\r\n`,
        );
      } else {
        graceTimer = setTimeout(() => finish({ outcome: 'accepted' }), Math.min(ALERT_GRACE_MS, request.timeoutMs));
      }
    });
    let received = 0;
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      received += data.length;
      // Without readAnswerBytes the first bytes are the verdict; with it, read on until the server closes.
      if (!request.readAnswerBytes || received >= request.readAnswerBytes) finish(answered());
    });
    socket.once('timeout', () =>
      finish({ outcome: 'error', errorCode: 'ETIMEDOUT', errorMessage: `socket idle for ${request.timeoutMs} ms` }),
    );
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // An answer was already coming in: a reset at its end does not undo it.
      if (request.readAnswerBytes && chunks.length) return finish(answered());
      // Reached the port and then lost the connection inside the handshake, or got an alert: the TLS layer said no.
      const refused = isTlsRefusal(err) || (tcpConnected && chunks.length === 0 && err.code === 'ECONNRESET');
      finish({
        outcome: refused ? 'refused' : 'error',
        errorCode: err.code ?? 'Error',
        errorMessage: err.message.slice(0, 200),
      });
    });
    socket.once('close', () => {
      if (chunks.length) finish(answered());
      // A server that checks the client certificate after a TLS 1.3 handshake may hang up without an alert (Node does).
      else if (handshakeDone)
        finish({
          outcome: 'refused',
          errorCode: 'ECONNCLOSED',
          errorMessage: 'the server closed the connection after the handshake without answering',
        });
      else
        finish({
          outcome: tcpConnected ? 'refused' : 'error',
          errorCode: 'ECONNCLOSED',
          errorMessage: 'connection closed before the handshake finished',
        });
    });
  });
}

export const tlsProber: TlsProber = { probe: probeTls };
