/**
 * `nlb-mtls request CN`: the first certificate, with a bearer token. CSR mode by default: the key is made here
 * (EC P-256 unless --key-type), written 0600, and only the CSR is sent. `--p12` asks the service for a server-key
 * bundle instead, which is downloaded, opened and verified. After this the device needs no token: `renew` and
 * `agent` authenticate with the certificate itself.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { KeyAlgorithm, SubjectAltNames } from '../../shared/domain/client-certificate.js';
import { buildCsr } from '../../shared/pki/index.js';
import { checkApiUrl, createApiClient } from '../api.js';
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { discardPendingKey, readCaFile } from '../credentials.js';
import { receiveCertificate, type CertificateAnswer } from '../delivery.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { checkDirectory, fileExists } from '../files.js';
import { keyTypeName, parseKeyType, pendingKey } from '../keys.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS, TOKEN_OPTION } from '../options.js';
import { describeCertificate } from './summary.js';

const SERVER_KEY_TYPES = ['EC_P256', 'RSA_2048', 'RSA_4096'];

export const requestCommand: Command = {
  spec: {
    name: 'request',
    summary: 'get a first certificate (needs a bearer token)',
    usage: 'nlb-mtls request <common-name> [options]',
    description: [
      'Requests a client certificate from cert-api with a bearer token (NLB_MTLS_TOKEN). By default the key is made',
      'here and never leaves this machine (CSR mode): NAME.key (0600), NAME.crt (certificate + intermediate),',
      'ca.crt (the root, written when missing), NAME.json (certificate id and API URL). With --p12 the service makes',
      'the key and the .p12 is downloaded and verified too (NAME.p12 and its password in NAME.p12.pass, both 0600).',
      'The certificate is not renewed by the service unless --server-renewal: the device renews it itself',
      '(nlb-mtls renew / agent), with no token.',
    ],
    options: [
      // A first request has no NAME.json to take the URL from.
      { ...API_OPTION, defaultText: undefined },
      TOKEN_OPTION,
      { name: 'dns', type: 'list', placeholder: 'NAME', description: 'DNS subjectAltName' },
      { name: 'uri', type: 'list', placeholder: 'URI', description: 'URI subjectAltName' },
      { name: 'email', type: 'list', placeholder: 'ADDRESS', description: 'e-mail subjectAltName' },
      {
        name: 'ip',
        type: 'list',
        placeholder: 'ADDRESS',
        description: 'IP subjectAltName (one SAN type per certificate)',
      },
      {
        name: 'days',
        type: 'string',
        env: 'NLB_MTLS_DAYS',
        config: 'days',
        placeholder: 'N',
        description: 'validity in days',
        defaultText: "the service's (30)",
      },
      {
        name: 'key-type',
        type: 'string',
        env: 'NLB_MTLS_KEY_TYPE',
        config: 'keyType',
        placeholder: 'TYPE',
        description:
          "ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096 (--p12: ec-p256, rsa-2048, rsa-4096). Without it: ec-p256, or rsa-2048 when the issuing CA signs only RSA keys (--p12: the CA's family)",
        defaultText: 'ec-p256',
      },
      {
        name: 'p12',
        type: 'boolean',
        description: 'server-key mode: the service makes the key; download and verify the .p12',
      },
      {
        name: 'p12-profile',
        type: 'string',
        placeholder: 'PROFILE',
        description: 'modern (OpenSSL 3, Java 11.0.12+) or compat (older Windows/macOS/Android)',
        defaultText: 'modern',
      },
      {
        name: 'server-renewal',
        type: 'boolean',
        description:
          'let the service renew it on schedule too (the new certificate then reaches the webhook, not this device)',
      },
      {
        name: 'webhook',
        type: 'string',
        placeholder: 'URL',
        description: 'notify.webhookUrl for renewal and expiry notices',
      },
      { name: 'label', type: 'list', placeholder: 'KEY=VALUE', description: 'label on the certificate record' },
      { name: 'force', type: 'boolean', description: 'replace an existing certificate and key' },
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: [
      'NLB_MTLS_API=https://certs.example.com NLB_MTLS_TOKEN=... nlb-mtls request device-1.example.com --dns device-1.example.com',
      'nlb-mtls request device-2.example.com --key-type rsa-2048 --days 30 --dir /etc/nlb-mtls',
      'nlb-mtls request laptop.example.com --p12 --p12-profile compat',
    ],
  },

  async run({ cmd, output }: CommandContext) {
    const commonName = cmd.positionals[0];
    if (!commonName || cmd.positionals.length > 1)
      throw usageError('Give exactly one common name: nlb-mtls request <common-name>.', 'nlb-mtls request --help');
    const apiText = cmd.get('api');
    if (!apiText) throw usageError('No API URL: set --api or NLB_MTLS_API.');
    const api = checkApiUrl(apiText, cmd.source('api'));
    const token = cmd.get('token');
    if (!token)
      throw usageError('A bearer token is needed for the first certificate: set NLB_MTLS_TOKEN (or --token).');
    const serverKey = cmd.flag('p12');
    const algorithm = parseKeyType(cmd.get('key-type'), 'EC_P256');
    const explicitKeyType = cmd.get('key-type') !== undefined;
    if (serverKey && explicitKeyType && !SERVER_KEY_TYPES.includes(algorithm))
      throw usageError(
        `With --p12 the service makes ec-p256, rsa-2048 or rsa-4096 keys, not ${keyTypeName(algorithm)}.`,
      );
    if (!serverKey && cmd.get('p12-profile')) throw usageError('--p12-profile only applies with --p12.');
    const days = cmd.get('days');
    if (days !== undefined && !/^[1-9]\d{0,3}$/.test(days))
      throw usageError(`--days must be a whole number of days (got "${days}").`);
    const sans: SubjectAltNames = {
      dns: cmd.list('dns'),
      uri: cmd.list('uri'),
      email: cmd.list('email'),
      ip: cmd.list('ip'),
    };
    const labels: Record<string, string> = {};
    for (const label of cmd.list('label')) {
      const eq = label.indexOf('=');
      if (eq < 1) throw usageError(`--label must be KEY=VALUE (got "${label}").`);
      labels[label.slice(0, eq)] = label.slice(eq + 1);
    }
    const webhook = cmd.get('webhook');

    const layout = fileLayout(cmd);
    for (const dir of new Set([dirname(layout.cert), dirname(layout.key), dirname(layout.ca)])) checkDirectory(dir);
    const existing = [layout.cert, layout.key].filter(fileExists);
    if (existing.length > 0 && !cmd.flag('force'))
      throw new CliError(
        EXIT.LOCAL,
        'FILE_EXISTS',
        `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}.`,
        {
          hint: 'renew it with `nlb-mtls renew`, choose other files with --dir/--name, or replace it with --force',
        },
      );
    const trust = fileExists(layout.ca) ? readCaFile(layout.ca) : ('bundle' as const);
    const timeout = timeoutMs(cmd);

    const client = createApiClient(api, timeout);
    const ask = async (keyAlgorithm: KeyAlgorithm) => {
      const pair = serverKey ? undefined : await pendingKey(layout, keyAlgorithm, output);
      const csr = pair ? await buildCsr({ keyPair: pair, commonName, sans }) : undefined;
      const body = {
        commonName,
        sans,
        ...(days ? { validityDays: Number(days) } : {}),
        // --p12 without --key-type: the service makes a key of its CA's family.
        ...(csr
          ? { csr }
          : { ...(explicitKeyType ? { keyAlgorithm } : {}), p12Profile: cmd.get('p12-profile') ?? 'modern' }),
        autoRenew: cmd.flag('server-renewal'),
        ...(webhook ? { notify: { webhookUrl: webhook } } : {}),
        labels,
      };
      output.progress(`Requesting a certificate for ${commonName} from ${api}`);
      return { pair, answer: await requestWithRetries(client, token, body, output) };
    };
    let outcome: Awaited<ReturnType<typeof ask>>;
    try {
      try {
        outcome = await ask(algorithm);
      } catch (err) {
        // The CA certifies one key family (CAS's rule). EC P-256 is only our default: follow the CA's family.
        const family = err instanceof CliError && err.code === 'KEY_ALGORITHM_MISMATCH' ? caFamilyOf(err) : undefined;
        if (explicitKeyType || serverKey || !family) throw err;
        discardPendingKey(layout);
        output.note(
          `the issuing CA signs ${family} keys only: making ${family === 'RSA' ? 'an RSA 2048-bit' : 'an EC P-256'} key instead`,
        );
        outcome = await ask(family === 'RSA' ? 'RSA_2048' : 'EC_P256');
      }
    } catch (err) {
      // A first request has no record to come back to: its key is of no use once the request failed.
      discardPendingKey(layout);
      throw err;
    }
    const { pair, answer } = outcome;
    let received: Awaited<ReturnType<typeof receiveCertificate>>;
    try {
      received = await receiveCertificate(answer, {
        layout,
        api,
        timeoutMs: timeout,
        output,
        now: new Date(),
        trust,
        csrKey: pair ? { publicKey: pair.publicKey, kept: false } : undefined,
      });
    } catch (err) {
      // Issued but not installed: nothing of it stays here (no NAME.key.next either), so a new request starts clean.
      discardPendingKey(layout);
      throw notInstalled(err, answer.id);
    }
    const { info, written } = received;
    if (trust === 'bundle')
      output.note(
        `${layout.ca} did not exist: it now holds the root CA from this bundle (check it: openssl x509 -in ${layout.ca} -noout -subject -fingerprint -sha256)`,
      );
    output.result(
      [
        `Certificate ${answer.id} for ${commonName} (${serverKey ? 'server-key mode: key made by the service' : 'CSR mode: the key never left this machine'})`,
        ...describeCertificate(info, answer.generation),
        `  files       ${written.join(', ')}`,
        `  next        nlb-mtls renew (or: nlb-mtls agent) renews it by proof of possession, with no token`,
      ],
      {
        certificateId: answer.id,
        generation: answer.generation,
        mode: answer.mode,
        commonName: info.commonName,
        sans: info.sans,
        keyAlgorithm: info.keyAlgorithm,
        serialNumber: info.serialNumber,
        fingerprintSha256: info.fingerprintSha256,
        notBefore: info.notBefore.toISOString(),
        notAfter: info.notAfter.toISOString(),
        files: written,
        // --json has no notes: say here too that ca.crt was taken from the bundle, on trust, and wants checking.
        ...(trust === 'bundle' ? { caFromBundle: layout.ca } : {}),
      },
    );
    return EXIT.OK;
  },
};

/** The error of a download or check that failed after the API issued: it names the certificate left unused. */
function notInstalled(err: unknown, certificateId: string): unknown {
  if (!(err instanceof CliError)) return err;
  return new CliError(err.exitCode, err.code, err.message, {
    cause: err,
    hint: `${certificateId} was issued but nothing was written here; revoke it with the API (POST /v1/certificates/${certificateId}/revoke) if it is of no use${err.hint ? `; ${err.hint}` : ''}`,
    details: { ...err.details, certificateId },
  });
}

function caFamilyOf(err: CliError): 'RSA' | 'EC' | undefined {
  const family = (err.details?.api as { caKeyFamily?: unknown } | undefined)?.caKeyFamily;
  return family === 'RSA' || family === 'EC' ? family : undefined;
}

/** One Idempotency-Key per attempt series: a retry after a 503 can never make a second certificate. */
async function requestWithRetries(
  client: ReturnType<typeof createApiClient>,
  token: string,
  body: unknown,
  output: CommandContext['output'],
): Promise<CertificateAnswer> {
  const idempotencyKey = `nlb-mtls-${randomUUID()}`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.call<CertificateAnswer>('POST', '/v1/certificates', { token, body, idempotencyKey });
    } catch (err) {
      const retry =
        err instanceof CliError && err.exitCode === EXIT.UNAVAILABLE && err.code !== 'UNREACHABLE' && attempt < 3;
      if (!retry) throw err;
      output.progress(`The API is busy (${err.code}); trying again`);
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}
