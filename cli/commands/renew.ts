/**
 * `nlb-mtls renew`: renews now, authenticated only by the current certificate's key (no bearer token). A new key
 * by default, `--reuse-key` keeps the current one. The files are replaced atomically; `--on-renew` runs after.
 */
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { runHook } from '../hooks.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS } from '../options.js';
import { renewByPossession } from '../renewal.js';
import { describeCertificate } from './summary.js';

export const RENEW_OPTIONS = [
  {
    name: 'reuse-key',
    type: 'boolean' as const,
    description: 'keep the current key (default: a new key for every certificate)',
  },
  {
    name: 'key-type',
    type: 'string' as const,
    env: 'NLB_MTLS_KEY_TYPE',
    config: 'keyType',
    placeholder: 'TYPE',
    description: 'the new key: same family as the current one, not smaller',
    defaultText: "the current key's",
  },
  {
    name: 'id',
    type: 'string' as const,
    placeholder: 'ID',
    description: 'the certificate id, when NAME.json is missing',
    defaultText: 'the one in NAME.json',
  },
  {
    name: 'on-renew',
    type: 'string' as const,
    env: 'NLB_MTLS_ON_RENEW',
    config: 'onRenew',
    placeholder: 'COMMAND',
    description:
      'run by /bin/sh after the files are replaced (e.g. "systemctl reload nginx"); gets NLB_MTLS_CERT, NLB_MTLS_KEY, NLB_MTLS_CA, NLB_MTLS_SERIAL, NLB_MTLS_NOT_AFTER, NLB_MTLS_CERTIFICATE_ID',
  },
];

export const renewCommand: Command = {
  spec: {
    name: 'renew',
    summary: 'renew now, by proof of possession (no token)',
    usage: 'nlb-mtls renew [options]',
    description: [
      'Renews the certificate in NAME.crt now. No bearer token: the request carries a short-lived proof signed by',
      "NAME.key (a JWS with the certificate chain in x5c and a fresh jti). The service accepts it only for the record's",
      'current, unrevoked, unexpired certificate, and renews with the same names and lifetime. A new key is made',
      '(kept in NAME.key.next until its certificate is written) unless --reuse-key.',
    ],
    options: [API_OPTION, ...RENEW_OPTIONS, ...FILE_OPTIONS, ...COMMON_OPTIONS],
    examples: [
      'nlb-mtls renew',
      'nlb-mtls renew --dir /etc/nlb-mtls --on-renew "systemctl reload nginx"',
      'nlb-mtls renew --reuse-key --json',
    ],
  },

  async run({ cmd, output, streams }: CommandContext) {
    const layout = fileLayout(cmd);
    const outcome = await renewByPossession({
      layout,
      api: cmd.get('api'),
      apiSource: cmd.source('api'),
      certificateId: cmd.get('id'),
      reuseKey: cmd.flag('reuse-key'),
      keyType: cmd.get('key-type'),
      timeoutMs: timeoutMs(cmd),
      output,
    });
    const hook = cmd.get('on-renew');
    const hookResult = hook ? await runHook(hook, hookEnv(layout, outcome), streams.stderr) : undefined;
    output.result(
      [
        `Renewed ${outcome.certificateId}: generation ${outcome.generation}, ${outcome.newKey ? 'new key' : 'same key'} (was serial ${outcome.previousSerialNumber})`,
        ...describeCertificate(outcome.info, outcome.generation),
        `  files       ${outcome.written.join(', ')}`,
        ...(hookResult
          ? [
              `  on-renew    ${hookResult.ok ? 'ok' : `FAILED (exit ${hookResult.exitCode ?? hookResult.signal ?? hookResult.error})`}`,
            ]
          : []),
      ],
      {
        certificateId: outcome.certificateId,
        generation: outcome.generation,
        previousSerialNumber: outcome.previousSerialNumber,
        serialNumber: outcome.info.serialNumber,
        fingerprintSha256: outcome.info.fingerprintSha256,
        notBefore: outcome.info.notBefore.toISOString(),
        notAfter: outcome.info.notAfter.toISOString(),
        newKey: outcome.newKey,
        files: outcome.written,
        ...(hookResult ? { onRenew: hookResult } : {}),
      },
    );
    return hookResult && !hookResult.ok ? EXIT.HOOK_FAILED : EXIT.OK;
  },
};

export function hookEnv(
  layout: { cert: string; key: string; ca: string },
  outcome: { certificateId: string; info: { serialNumber: string; notAfter: Date } },
): Record<string, string> {
  return {
    NLB_MTLS_CERT: layout.cert,
    NLB_MTLS_KEY: layout.key,
    NLB_MTLS_CA: layout.ca,
    NLB_MTLS_SERIAL: outcome.info.serialNumber,
    NLB_MTLS_NOT_AFTER: outcome.info.notAfter.toISOString(),
    NLB_MTLS_CERTIFICATE_ID: outcome.certificateId,
  };
}
