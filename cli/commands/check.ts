/**
 * `nlb-mtls check --connect host:port`: the seed's `curl --cert --key --cacert` check, natively. One TLS handshake
 * with the client certificate (or without, `--no-cert`), one HTTP request, and a report: accepted or refused, the
 * server certificate, protocol and cipher, and the backend that answered when the answer says (the local stack's
 * backends answer with their name).
 */
import { isIP } from 'node:net';
import { probeTls, type ProbeResult } from '../../shared/tls-probe/index.js';
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { readCaFile, readCertificateChain, readKey, readState } from '../credentials.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { fileExists, readTextFile } from '../files.js';
import { fileLayout } from '../layout.js';
import { COMMON_OPTIONS, FILE_OPTIONS } from '../options.js';
import { inspectCertificate, keyMatchesCertificate } from '../../shared/pki/index.js';
import {
  promoteSuccessor,
  readSuccessorState,
  staleSuccessor,
  successorFiles,
  type CurrentCertificate,
} from '../successor.js';

const ANSWER_BYTES = 16 * 1024;

export interface HttpAnswer {
  statusLine?: string;
  headers: Record<string, string>;
  /** The backend's own words: a header that names it, or a short plain-text body (the seed's backends). */
  backend?: string;
}

export function readHttpAnswer(text: string | undefined): HttpAnswer | undefined {
  if (!text || !text.startsWith('HTTP/')) return undefined;
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const named = headers['x-backend'] ?? headers['x-served-by'];
  const content = /chunked/i.test(headers['transfer-encoding'] ?? '') ? dechunk(body) : body;
  const firstLine = content.split(/\r?\n/)[0]?.trim() ?? '';
  const plain = (headers['content-type'] ?? '').startsWith('text/plain') && /^[\x20-\x7e]{1,80}$/.test(firstLine);
  return { statusLine, headers, ...(named || plain ? { backend: named ?? firstLine } : {}) };
}

/** The body of a `Transfer-Encoding: chunked` answer (as far as it was read). */
function dechunk(body: string): string {
  let out = '';
  for (let at = 0; at < body.length; ) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.slice(at, eol).split(';')[0], 16);
    if (!Number.isFinite(size) || size <= 0) break;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
  return out;
}

function target(text: string | undefined): { host: string; port: number } {
  if (!text) throw usageError('--connect host:port is required.', 'nlb-mtls check --help');
  const m = text.match(/^\[?([^\]]+?)\]?:(\d{1,5})$/);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw usageError(`--connect must be host:port (got "${text}").`);
  return { host: m[1], port };
}

export const checkCommand: Command = {
  spec: {
    name: 'check',
    summary: 'TLS handshake to a listener with the client certificate',
    usage: 'nlb-mtls check --connect host:port [--servername NAME] [--no-cert] [options]',
    description: [
      'Connects to a mutual-TLS listener like `curl --cert NAME.crt --key NAME.key --cacert ca.crt`, sends one',
      'HTTP GET, and reports whether the listener accepted the client certificate, the server certificate (and',
      'whether it verifies against ca.crt), the TLS protocol and cipher, and the backend that answered. With',
      '--no-cert it connects without a certificate, to show that the listener refuses it. The exit code says',
      'whether the verdict was the expected one (--expect accepted|refused). During a CA rotation, when the',
      'listener refuses the certificate and a successor was fetched (nlb-mtls successor), the successor is tried',
      'and, when it gets in, promoted to NAME.crt (the listener switched to the new CA).',
    ],
    options: [
      {
        name: 'connect',
        type: 'string',
        env: 'NLB_MTLS_CONNECT',
        config: 'connect',
        placeholder: 'HOST:PORT',
        description: 'where the listener is',
      },
      {
        name: 'servername',
        type: 'string',
        env: 'NLB_MTLS_SERVERNAME',
        config: 'servername',
        placeholder: 'NAME',
        description: "SNI and HTTP Host, the name in the server's certificate",
        defaultText: 'the --connect host',
      },
      { name: 'no-cert', type: 'boolean', description: 'connect without a client certificate' },
      {
        name: 'no-fallback',
        type: 'boolean',
        description: 'do not try the CA rotation successor (NAME.successor.crt) when the certificate is refused',
      },
      {
        name: 'expect',
        type: 'string',
        placeholder: 'VERDICT',
        description: 'accepted or refused: which verdict exits 0',
        defaultText: 'accepted',
      },
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: [
      'nlb-mtls check --connect 127.0.0.1:8443 --servername www.example.com',
      'nlb-mtls check --connect 127.0.0.1:8443 --servername www.example.com --no-cert --expect refused',
      'nlb-mtls check --connect nlb-xyz.cn-hangzhou.nlb.aliyuncs.com:443 --servername www.example.com --json',
    ],
  },

  async run({ cmd, output }: CommandContext) {
    const { host, port } = target(cmd.get('connect'));
    const servername = cmd.get('servername') ?? (isIP(host) ? undefined : host);
    if (!servername)
      throw usageError('--servername is needed when --connect names an IP address (the SNI the listener expects).');
    const expect = cmd.get('expect') ?? 'accepted';
    if (expect !== 'accepted' && expect !== 'refused') throw usageError('--expect must be accepted or refused.');
    const layout = fileLayout(cmd);
    const withCert = !cmd.flag('no-cert');
    let chainPem: string | undefined;
    let keyPem: string | undefined;
    let current: CurrentCertificate | undefined;
    if (withCert) {
      const chain = readCertificateChain(layout.cert);
      const key = readKey(layout.key);
      current = { leaf: inspectCertificate(chain[0]), key };
      if (!keyMatchesCertificate(key, chain[0]))
        throw new CliError(
          EXIT.LOCAL,
          'KEY_MISMATCH',
          `${layout.key} is not the key of the certificate in ${layout.cert}.`,
        );
      chainPem = chain.join('');
      keyPem = readTextFile(layout.key, 'private key');
    }
    const caPem = fileExists(layout.ca) ? readCaFile(layout.ca).join('') : undefined;
    output.progress(
      `TLS handshake with ${host}:${port} (SNI ${servername}) ${withCert ? `with ${layout.cert}` : 'without a client certificate'}`,
    );
    const knock = (chain: string | undefined, key: string | undefined) =>
      probeTls({
        host,
        port,
        servername,
        clientCertificateChainPem: chain,
        clientKeyPem: key,
        request: 'http',
        httpHost: servername,
        timeoutMs: timeoutMs(cmd),
        trustedCaPem: caPem,
        readAnswerBytes: ANSWER_BYTES,
      });
    let probe = await knock(chainPem, keyPem);
    // A CA rotation switched the listener: the successor may get in where the current certificate no longer does.
    let fellBack: { promoted: string[]; successorId: string } | undefined;
    const files = successorFiles(layout);
    let successor = current && !cmd.flag('no-fallback') ? readSuccessorState(files) : undefined;
    if (probe.outcome === 'refused' && successor && current) {
      // Only the successor of the certificate in use: one left from an earlier rotation must not be promoted.
      const certificateId = readState(layout.state)?.certificateId;
      const { reason } = staleSuccessor(files, successor, { ...current, certificateId }, new Date());
      if (reason) {
        output.note(
          `not trying the successor in ${files.cert}: ${reason} (run nlb-mtls successor to fetch the current one)`,
        );
        successor = undefined;
      }
    }
    if (probe.outcome === 'refused' && successor) {
      output.progress(
        `Refused: trying the successor ${successor.certificateId} (CA rotation ${successor.rotation.id})`,
      );
      const successorKey = fileExists(files.key) ? readTextFile(files.key, 'private key') : keyPem;
      const second = await knock(readCertificateChain(files.cert).join(''), successorKey);
      if (second.outcome !== 'refused' && second.outcome !== 'error') {
        fellBack = { promoted: promoteSuccessor(layout).written, successorId: successor.certificateId };
        probe = second;
      }
    }
    if (probe.outcome === 'error')
      throw new CliError(
        EXIT.UNAVAILABLE,
        'LISTENER_UNREACHABLE',
        `Cannot reach ${host}:${port}: ${probe.errorCode} ${probe.errorMessage ?? ''}`.trim() + '.',
      );
    const verdict = probe.outcome === 'refused' ? 'refused' : 'accepted';
    const http = readHttpAnswer(probe.answer);
    output.result(
      [
        ...humanReport(
          probe,
          verdict,
          { host, port, servername, withCert, cert: layout.cert, ca: caPem ? layout.ca : undefined },
          http,
        ),
        ...(fellBack
          ? [
              `  successor   the listener refused the previous certificate and let its successor ${fellBack.successorId} in: promoted (${fellBack.promoted.join(', ')})`,
            ]
          : []),
      ],
      {
        verdict,
        expected: expect,
        listener: { host, port, servername },
        clientCertificateSent: probe.clientCertificateSent,
        protocol: probe.protocol,
        cipher: probe.cipher,
        serverCertificate: probe.peerCertificate,
        ...(caPem && probe.peerCertificate
          ? { serverVerified: probe.serverAuthorized ?? false, serverVerifyError: probe.serverAuthorizationError }
          : {}),
        ...(verdict === 'refused' ? { refusal: { code: probe.errorCode, message: probe.errorMessage } } : {}),
        ...(http ? { http: { statusLine: http.statusLine, backend: http.backend } } : {}),
        ...(fellBack ? { fellBackToSuccessor: fellBack } : {}),
        durationMs: probe.durationMs,
      },
    );
    return verdict === expect ? EXIT.OK : EXIT.CHECK_FAILED;
  },
};

/** OpenSSL's `...:ssl3_read_bytes:sslv3 alert handshake failure:...:SSL alert number 40` -> `sslv3 alert handshake failure (TLS alert 40)`. */
function shortTlsError(message: string): string {
  const alert = message.match(/:([^:]+):[^:]*:\d+:SSL alert number (\d+)/);
  if (alert) return `${alert[1]} (TLS alert ${alert[2]})`;
  return message.trim().slice(0, 160);
}

function humanReport(
  probe: ProbeResult,
  verdict: 'accepted' | 'refused',
  t: { host: string; port: number; servername: string; withCert: boolean; cert: string; ca?: string },
  http: HttpAnswer | undefined,
): string[] {
  const who = t.withCert ? `the client certificate in ${t.cert}` : 'a connection without a client certificate';
  const lines = [
    `${verdict}: ${t.host}:${t.port} (SNI ${t.servername}) ${verdict === 'accepted' ? 'accepted' : 'refused'} ${who}`,
  ];
  if (verdict === 'refused')
    lines.push(`  refusal     ${probe.errorCode ?? ''}: ${shortTlsError(probe.errorMessage ?? '')}`);
  if (probe.protocol) lines.push(`  tls         ${probe.protocol}, ${probe.cipher ?? 'unknown cipher'}`);
  const peer = probe.peerCertificate;
  if (peer) {
    const verified =
      t.ca === undefined
        ? 'not verified (no ca.crt)'
        : probe.serverAuthorized
          ? `verified against ${t.ca}`
          : `NOT verified against ${t.ca}: ${probe.serverAuthorizationError ?? 'unknown reason'}`;
    lines.push(
      `  server      CN=${peer.commonName ?? '?'}${peer.dnsNames.length ? ` (DNS ${peer.dnsNames.join(', ')})` : ''}, issuer CN=${peer.issuer ?? '?'}, until ${peer.notAfter ?? '?'}`,
    );
    lines.push(`              sha256 ${peer.fingerprintSha256}, ${verified}`);
  }
  if (http) lines.push(`  answer      ${http.statusLine ?? ''}${http.backend ? `, backend ${http.backend}` : ''}`);
  return lines;
}
