// Prepare: real TLS servers on 127.0.0.1 (mutual TLS under TLS 1.3 and 1.2, plain TLS, a closed port) and a
// root -> sub-CA -> client hierarchy plus a foreign one. Act: probeTls. Assess: answered / refused / error, the
// peer certificate and the answer's first bytes.
import * as tls from 'node:tls';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  createCertificateAuthority,
  generateKeyPair,
  signClientCertificate,
  signServerCertificate,
  type CaMaterial,
} from '../../../shared/pki/index.js';
import { probeTls } from '../../../shared/tls-probe/index.js';
import type { ProbeRequest } from '../../../shared/domain/listeners/ports.js';

const notAfter = new Date(Date.now() + 86_400_000);
const pem = (k: { export(o: object): string | Buffer }) => k.export({ type: 'pkcs8', format: 'pem' }) as string;

interface Client {
  chainPem: string;
  keyPem: string;
}

async function hierarchy(name: string) {
  const root = await createCertificateAuthority({ commonName: `${name} Root`, keyAlgorithm: 'EC_P256', notAfter });
  const sub = await createCertificateAuthority({
    commonName: `${name} Sub`,
    keyAlgorithm: 'EC_P256',
    notAfter,
    issuer: root,
  });
  return { root, sub };
}

async function clientUnder(sub: CaMaterial): Promise<Client> {
  const keys = await generateKeyPair('EC_P256');
  const leaf = await signClientCertificate({ publicKey: keys.publicKey, commonName: 'canary', notAfter, issuer: sub });
  return { chainPem: leaf + sub.certificatePem, keyPem: pem(keys.privateKey) };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('probeTls', () => {
  let trusted: { root: CaMaterial; sub: CaMaterial };
  let good: Client;
  let foreign: Client;
  let serverCertPem: string;
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    trusted = await hierarchy('Trusted');
    good = await clientUnder(trusted.sub);
    foreign = await clientUnder((await hierarchy('Foreign')).sub);
    const serverKeys = await generateKeyPair('EC_P256');
    serverCertPem = await signServerCertificate({
      publicKey: serverKeys.publicKey,
      commonName: 'www.example.com',
      sans: { dns: ['www.example.com'] },
      notAfter,
      issuer: trusted.root,
    });
    const answerHttp = (socket: tls.TLSSocket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nECS01'));
    const make = (name: string, options: tls.TlsOptions, onConnection: (s: tls.TLSSocket) => void = answerHttp) => {
      const server = tls.createServer(
        { key: pem(serverKeys.privateKey), cert: serverCertPem, ...options },
        onConnection,
      );
      server.on('tlsClientError', () => undefined);
      server.on('connection', (socket: net.Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      servers.push(server);
      return listen(server).then((port) => (ports[name] = port));
    };
    // The listener trusts the root; clients send their sub-CA (as NLB with the seed's root.crt).
    await make('mtls13', {
      requestCert: true,
      rejectUnauthorized: true,
      ca: trusted.root.certificatePem,
      minVersion: 'TLSv1.3',
    });
    await make('mtls12', {
      requestCert: true,
      rejectUnauthorized: true,
      ca: trusted.root.certificatePem,
      maxVersion: 'TLSv1.2',
    });
    await make('plain', {});
    await make('silent', {}, () => undefined);
    const closed = net.createServer();
    ports.closed = await listen(closed);
    await new Promise((r) => closed.close(r));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  const request = (port: string, extra: Partial<ProbeRequest> = {}): ProbeRequest => ({
    host: '127.0.0.1',
    port: ports[port],
    servername: 'www.example.com',
    request: 'http',
    httpHost: 'www.example.com',
    timeoutMs: 3_000,
    ...extra,
  });

  it.each(['mtls13', 'mtls12'])('%s: a client certificate from the trusted CA gets an answer', async (server) => {
    const result = await probeTls(
      request(server, { clientCertificateChainPem: good.chainPem, clientKeyPem: good.keyPem }),
    );

    expect(result).toMatchObject({
      outcome: 'answered',
      clientCertificateSent: true,
      firstBytes: 'HTTP/1.1 200 OK..Content-Length: 5....ECS01',
    });
    expect(result.protocol).toBe(server === 'mtls13' ? 'TLSv1.3' : 'TLSv1.2');
    expect(result.peerCertificate).toMatchObject({
      commonName: 'www.example.com',
      dnsNames: ['www.example.com'],
      issuer: 'Trusted Root',
    });
    expect(result.peerCertificate!.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['mtls13', 'no client certificate', undefined],
    ['mtls12', 'no client certificate', undefined],
    ['mtls13', 'a foreign CA', 'foreign'],
    ['mtls12', 'a foreign CA', 'foreign'],
  ])('%s: %s is refused by the TLS layer', async (server, _what, which) => {
    const client = which ? foreign : undefined;

    const result = await probeTls(
      request(server, client ? { clientCertificateChainPem: client.chainPem, clientKeyPem: client.keyPem } : {}),
    );

    expect(result.outcome).toBe('refused');
    expect(result.firstBytes).toBeUndefined();
    expect(result.errorCode).toMatch(/^ERR_SSL_|^ECONNRESET$|^ECONNCLOSED$/);
  });

  it('a server without mutual TLS answers a client without a certificate', async () => {
    const result = await probeTls(request('plain'));

    expect(result).toMatchObject({ outcome: 'answered', clientCertificateSent: false });
  });

  it("request 'none' reports an accepted handshake without sending anything", async () => {
    const result = await probeTls(request('silent', { request: 'none' }));

    expect(result.outcome).toBe('accepted');
    expect(result.peerCertificate?.commonName).toBe('www.example.com');
  });

  it("request 'none' still sees a TLS 1.3 refusal that comes after the handshake", async () => {
    const result = await probeTls(request('mtls13', { request: 'none' }));

    expect(result.outcome).toBe('refused');
  });

  it('reports whether the server chain verifies against a given CA', async () => {
    const ok = await probeTls(request('plain', { trustedCaPem: trusted.root.certificatePem }));
    const other = await probeTls(request('plain', { trustedCaPem: trusted.sub.certificatePem }));

    expect(ok.serverAuthorized).toBe(true);
    expect(other.serverAuthorized).toBe(false);
    expect(other.serverAuthorizationError).toBeTruthy();
  });

  it('a closed port is an error, not a refusal', async () => {
    const result = await probeTls(request('closed'));

    expect(result).toMatchObject({ outcome: 'error', errorCode: 'ECONNREFUSED' });
  });

  it('a server that never answers runs into the timeout', async () => {
    const result = await probeTls(request('silent', { timeoutMs: 300 }));

    expect(result).toMatchObject({ outcome: 'error', errorCode: 'ETIMEDOUT' });
  });
});
