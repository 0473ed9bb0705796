/**
 * `nlb-mtls fetch`: installs a certificate from a signed download link (the API's `downloads`), after checking its
 * SHA-256 fingerprint and its chain against ca.crt. A CSR-mode zip needs the key already here (NAME.key); a
 * server-key zip brings its key; a .p12 needs its password. With `--id` and a token it asks the API for fresh links
 * and the expected fingerprint itself (e.g. after a scheduled renewal by the service).
 */
import { X509Certificate } from 'node:crypto';
import { checkApiUrl, createApiClient, download, safeUrl } from '../api.js';
import { chainsToAny, isZip, openP12, openPemZip, plainKeyPem, verifyChain } from '../bundle.js';
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { installCredentials, readCaFile, readKey, readState, stateFrom } from '../credentials.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { fileExists, readTextFile, writeFileAtomic, PRIVATE } from '../files.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS, TOKEN_OPTION } from '../options.js';
import { describeCertificate } from './summary.js';

interface LinksAnswer {
  id: string;
  generation: number;
  downloads: { certificate?: { url: string }; p12?: { url: string }; pem?: { url: string } };
}
interface CertificateView {
  id: string;
  generation: number;
  mode: 'csr' | 'server-key';
  fingerprintSha256: string;
}

export const fetchCommand: Command = {
  spec: {
    name: 'fetch',
    summary: 'install a certificate from a signed download link',
    usage: 'nlb-mtls fetch <url> [--fingerprint SHA256] [options]  |  nlb-mtls fetch --id ID [options] (with a token)',
    description: [
      "Downloads a bundle from a signed link, checks it and writes the files. The link is one of the API answer's",
      "`downloads` (certificate zip in CSR mode, PEM zip or .p12 in server-key mode); give the answer's",
      'fingerprintSha256 with --fingerprint so the exact certificate is pinned. The certificate must chain to ca.crt',
      '(--ca) and fit NAME.key (CSR mode) or the key in the bundle. A .p12, and the encrypted key of a server-key',
      'PEM zip, are opened with the .p12 password (NLB_MTLS_P12_PASSWORD or --p12-password-file); a .p12 is',
      'written as NAME.p12. With --id ID and a token, the links and the fingerprint come from the API.',
    ],
    options: [
      {
        name: 'fingerprint',
        type: 'string',
        placeholder: 'SHA256',
        description: "the certificate's SHA-256 fingerprint (hex, colons allowed)",
      },
      {
        name: 'id',
        type: 'string',
        placeholder: 'ID',
        description: 'ask the API for the current links of this certificate (needs a token)',
      },
      {
        name: 'p12-password-file',
        type: 'string',
        env: 'NLB_MTLS_P12_PASSWORD_FILE',
        placeholder: 'FILE',
        description:
          'file holding the .p12 password (or NLB_MTLS_P12_PASSWORD); also opens an encrypted client.key in a PEM zip',
      },
      API_OPTION,
      TOKEN_OPTION,
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: [
      'nlb-mtls fetch "$URL" --fingerprint 3f9a...c2 --ca root.crt',
      'NLB_MTLS_P12_PASSWORD=... nlb-mtls fetch "$P12_URL" --fingerprint 3f9a...c2',
      'NLB_MTLS_TOKEN=... nlb-mtls fetch --id cc-0123456789abcdefghijklmnop',
    ],
  },

  async run({ cmd, output, env }: CommandContext) {
    const layout = fileLayout(cmd);
    const timeout = timeoutMs(cmd);
    const state = readState(layout.state);
    if (!fileExists(layout.ca))
      throw new CliError(EXIT.LOCAL, 'FILE_NOT_FOUND', `The trusted CA file ${layout.ca} does not exist.`, {
        hint: 'pass --ca FILE: the root CA your listeners trust (fetch never trusts a CA from the download itself)',
      });
    const caPems = readCaFile(layout.ca);
    const id = cmd.get('id');
    let urls: string[];
    let fingerprint = cmd.get('fingerprint');
    let facts: { certificateId?: string; api?: string; generation?: number; mode?: 'csr' | 'server-key' } = {};
    if (id) {
      if (cmd.positionals.length) throw usageError('Give either a link or --id, not both.');
      const apiText = cmd.get('api') ?? state?.api;
      if (!apiText) throw usageError('No API URL: set --api or NLB_MTLS_API.');
      const api = checkApiUrl(apiText, cmd.get('api') ? cmd.source('api') : `"api" in ${layout.state}`);
      const token = cmd.get('token');
      if (!token) throw usageError('--id needs a bearer token: set NLB_MTLS_TOKEN.');
      const client = createApiClient(api, timeout);
      output.progress(`Asking ${api} for the current links of ${id}`);
      const view = await client.call<CertificateView>('GET', `/v1/certificates/${encodeURIComponent(id)}`, { token });
      const links = await client.call<LinksAnswer>('POST', `/v1/certificates/${encodeURIComponent(id)}/links`, {
        token,
        body: {},
      });
      if (fingerprint && fingerprint.replace(/:/g, '').toLowerCase() !== view.fingerprintSha256)
        throw usageError('--fingerprint differs from the current certificate of this id.');
      fingerprint = view.fingerprintSha256;
      const d = links.downloads;
      urls = [d.certificate?.url ?? d.pem?.url].filter((u): u is string => Boolean(u));
      facts = { certificateId: id, api, generation: links.generation, mode: view.mode };
    } else {
      if (cmd.positionals.length !== 1)
        throw usageError('Give one download link: nlb-mtls fetch <url>.', 'nlb-mtls fetch --help');
      urls = [cmd.positionals[0]];
      if (state)
        facts = { certificateId: state.certificateId, api: state.api, generation: state.generation, mode: state.mode };
    }
    if (!fingerprint)
      output.note('no --fingerprint given: the chain and the key are checked, but not which certificate this is');

    output.progress(`Downloading ${safeUrl(urls[0])}`);
    const bytes = await download(urls[0], timeout);
    const now = new Date();
    if (!isZip(bytes)) {
      // A .p12: open it with its password, pin its certificate, and keep it as it came.
      const password = p12Password(cmd.get('p12-password-file'), env, 'A .p12 needs its password');
      const { leafPem, issuerPem } = openP12(bytes, password);
      const got = new X509Certificate(leafPem).fingerprint256.replace(/:/g, '').toLowerCase();
      if (fingerprint && got !== fingerprint.replace(/:/g, '').toLowerCase())
        throw new CliError(
          EXIT.VERIFICATION,
          'FINGERPRINT_MISMATCH',
          `The .p12's certificate has fingerprint ${got}, not ${fingerprint}.`,
        );
      if (!chainsToAny(issuerPem ? [leafPem, issuerPem] : [leafPem], caPems))
        throw new CliError(
          EXIT.VERIFICATION,
          'CHAIN_UNTRUSTED',
          `The .p12's certificate does not chain to the CA in ${layout.ca}.`,
        );
      writeFileAtomic(layout.p12, bytes, PRIVATE);
      output.result([`Wrote ${layout.p12} (opens with the given password; certificate ${got})`], {
        files: [layout.p12],
        fingerprintSha256: got,
      });
      return EXIT.OK;
    }
    const opened = openPemZip(bytes);
    const password = opened.keyPem?.includes('ENCRYPTED PRIVATE KEY')
      ? p12Password(
          cmd.get('p12-password-file'),
          env,
          "This bundle's key (server-key mode) is encrypted with the certificate's .p12 password",
        )
      : undefined;
    const bundle = opened.keyPem ? { ...opened, keyPem: plainKeyPem(opened.keyPem, password) } : opened;
    const key = bundle.keyPem ? undefined : fileExists(layout.key) ? readKey(layout.key) : undefined;
    if (!bundle.keyPem && !key)
      throw new CliError(
        EXIT.LOCAL,
        'FILE_NOT_FOUND',
        `This bundle has no key, and ${layout.key} does not exist: the key of a CSR-mode certificate stays where the CSR was made.`,
      );
    output.progress('Verifying the certificate');
    const info = verifyChain(bundle.chainPems, bundle.keyPem, {
      now,
      caPems,
      fingerprintSha256: fingerprint,
      publicKey: key,
    });
    const stateFacts = facts.certificateId
      ? stateFrom(
          info,
          {
            certificateId: facts.certificateId,
            api: facts.api,
            mode: bundle.keyPem ? 'server-key' : 'csr',
            generation: facts.generation ?? 1,
          },
          now,
        )
      : undefined;
    const written = installCredentials(layout, {
      chainPems: bundle.chainPems,
      key: bundle.keyPem ? { kind: 'pem', pem: bundle.keyPem } : { kind: 'unchanged' },
      state: stateFacts,
    });
    if (!stateFacts)
      output.note(`no certificate id is known (no ${layout.state}, no --id): renew and agent will need --id`);
    output.result(
      [
        `Installed ${info.commonName}${facts.certificateId ? ` (${facts.certificateId})` : ''}`,
        ...describeCertificate(info, facts.generation),
        `  files       ${written.join(', ')}`,
      ],
      {
        certificateId: facts.certificateId,
        serialNumber: info.serialNumber,
        fingerprintSha256: info.fingerprintSha256,
        notAfter: info.notAfter.toISOString(),
        files: written,
      },
    );
    return EXIT.OK;
  },
};

function p12Password(file: string | undefined, env: NodeJS.ProcessEnv, why: string): string {
  if (file) return readTextFile(file, '.p12 password file').replace(/\r?\n$/, '');
  if (env.NLB_MTLS_P12_PASSWORD) return env.NLB_MTLS_P12_PASSWORD;
  throw usageError(`${why}: set NLB_MTLS_P12_PASSWORD or --p12-password-file FILE.`);
}
