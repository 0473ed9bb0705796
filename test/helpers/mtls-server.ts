/**
 * A local HTTPS server on 127.0.0.1:0 that requires a client certificate chaining to the given CA(s) and
 * answers a fixed body: the stand-in for an NLB listener with mutual TLS in tests.
 *
 * Its own server certificate (DNS localhost, IP 127.0.0.1) is signed by `serverIssuer` when given, which lets
 * a client verify it with the same ca.crt as in the seed's `curl --cacert`, or else by a throwaway CA whose
 * certificate is returned as `serverCaPem`.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  createCertificateAuthority,
  generateKeyPair,
  signServerCertificate,
  type CaMaterial,
} from '../../shared/pki/index.js';

export interface MtlsRequestSeen {
  authorized: boolean;
  commonName?: string;
  serialNumber?: string;
  path?: string;
}

export interface MtlsServer {
  url: string;
  host: '127.0.0.1';
  port: number;
  /** the CA that signed the server certificate: what a client passes as --cacert */
  serverCaPem: string;
  /** requests that reached the HTTP layer (i.e. passed the client-certificate check) */
  requests: MtlsRequestSeen[];
  /** handshakes refused (no certificate, one from another CA...) */
  rejectedHandshakes: number;
  close(): Promise<void>;
}

export interface MtlsServerOptions {
  /** trusted CA certificate(s) for client certificates (PEM) */
  clientCaPem: string | string[];
  /** signs the server certificate; default: a throwaway CA */
  serverIssuer?: CaMaterial;
  body?: string;
}

export const MTLS_SERVER_BODY = 'hello from the mTLS test server\n';

export async function startMtlsServer(options: MtlsServerOptions): Promise<MtlsServer> {
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const serverIssuer =
    options.serverIssuer ?? (await createCertificateAuthority({ commonName: 'mTLS test server CA', notAfter }));
  const serverKey = await generateKeyPair('EC_P256');
  const serverCertificatePem = await signServerCertificate({
    publicKey: serverKey.publicKey,
    commonName: 'localhost',
    sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
    notAfter,
    issuer: serverIssuer,
  });

  const requests: MtlsRequestSeen[] = [];
  const body = options.body ?? MTLS_SERVER_BODY;
  const server: Server = createServer(
    {
      key: serverKey.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      cert: serverCertificatePem,
      ca: Array.isArray(options.clientCaPem) ? options.clientCaPem : [options.clientCaPem],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const commonName = peer?.subject?.CN;
      requests.push({
        authorized: socket.authorized,
        commonName: Array.isArray(commonName) ? commonName.join(',') : commonName,
        serialNumber: peer?.serialNumber?.toLowerCase(),
        path: req.url,
      });
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end(body);
    },
  );
  const handle: MtlsServer = {
    url: '',
    host: '127.0.0.1',
    port: 0,
    serverCaPem: serverIssuer.certificatePem,
    requests,
    rejectedHandshakes: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('tlsClientError', () => {
    handle.rejectedHandshakes++;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  handle.port = (server.address() as AddressInfo).port;
  handle.url = `https://127.0.0.1:${handle.port}/`;
  return handle;
}
