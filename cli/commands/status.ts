/**
 * `nlb-mtls status`: what the local certificate is (subject, SANs, serial, expiry), when the agent will renew it,
 * whether its key and chain are in order, and (unless --offline) whether it is still the record's current
 * generation: asked with a proof of possession (no token), or with the token when one is set.
 */
import { signPossessionProof } from '../../shared/auth/possession-proof.js';
import type { PossessionStatus } from '../../shared/certificates/possession.js';
import { decideAgentStep } from '../../shared/domain/renewal/client-schedule.js';
import { checkApiUrl, createApiClient } from '../api.js';
import { cliClock, formatDuration } from '../clock.js';
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { loadCredentials, readableByOthers } from '../credentials.js';
import { CliError, EXIT, usageError } from '../exit-codes.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS, NOW_OPTION, TOKEN_OPTION } from '../options.js';
import { jitterOf } from './agent.js';
import { sansText } from './summary.js';

interface ApiView {
  status: string;
  generation: number;
  serialNumber: string;
  notAfter: string;
}

export const statusCommand: Command = {
  spec: {
    name: 'status',
    summary: 'show the local certificate and whether it is still current',
    usage: 'nlb-mtls status [--offline] [options]',
    description: [
      'Shows the certificate in NAME.crt: subject, SANs, serial, validity, when the agent renews it and how long',
      'until then, whether NAME.key fits and the chain reaches ca.crt. Then asks the API whether it is still the',
      "record's current generation and not revoked: with a proof of possession (no token needed), or with",
      'NLB_MTLS_TOKEN when it is set. --offline skips the API.',
    ],
    options: [
      { name: 'offline', type: 'boolean', description: 'do not ask the API' },
      { name: 'id', type: 'string', placeholder: 'ID', description: 'the certificate id, when NAME.json is missing' },
      API_OPTION,
      TOKEN_OPTION,
      NOW_OPTION,
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: ['nlb-mtls status', 'nlb-mtls status --json --dir /etc/nlb-mtls', 'nlb-mtls status --offline'],
  },

  async run({ cmd, output }: CommandContext) {
    const layout = fileLayout(cmd);
    const clock = cliClock(cmd.get('now'));
    const creds = loadCredentials(layout, { requireCa: false });
    const now = clock.now();
    const leaf = creds.leaf;
    const decision = decideAgentStep(leaf, now, jitterOf(leaf.serialNumber));
    const expired = decision.action === 'expired';
    const certificateId = cmd.get('id') ?? creds.state?.certificateId;

    let remote:
      | {
          current: boolean;
          status: string;
          generation: number;
          presentedGeneration?: number;
          via: 'possession' | 'token';
        }
      | undefined;
    let remoteError: CliError | undefined;
    if (!cmd.flag('offline')) {
      try {
        remote = await askApi();
      } catch (err) {
        if (!(err instanceof CliError)) throw err;
        remoteError = err;
      }
    }

    async function askApi() {
      if (!certificateId) throw usageError(`No certificate id (no ${layout.state}): pass --id, or --offline.`);
      const apiText = cmd.get('api') ?? creds.state?.api;
      if (!apiText) throw usageError('No API URL: set --api or NLB_MTLS_API, or --offline.');
      const client = createApiClient(
        checkApiUrl(apiText, cmd.get('api') ? cmd.source('api') : `"api" in ${layout.state}`),
        timeoutMs(cmd),
      );
      const token = cmd.get('token');
      output.progress(`Asking ${client.base} about ${certificateId}`);
      if (token) {
        const view = await client.call<ApiView>('GET', `/v1/certificates/${certificateId}`, { token });
        return {
          current: view.serialNumber === leaf.serialNumber,
          status: view.status,
          generation: view.generation,
          via: 'token' as const,
        };
      }
      const proof = signPossessionProof({
        privateKey: creds.key,
        chainPems: creds.chainPems,
        certificateId,
        audience: 'nlb-mtls:status',
        now: new Date(),
      });
      const answer = await client.call<PossessionStatus>(
        'POST',
        `/v1/certificates/${certificateId}/status-by-possession`,
        { body: { proof } },
      );
      return {
        current: answer.current,
        status: answer.status,
        generation: answer.generation,
        presentedGeneration: answer.presented.generation,
        via: 'possession' as const,
      };
    }

    const renewIn = decision.renewAt.getTime() - now.getTime();
    const human = [
      `${layout.cert}${certificateId ? ` (${certificateId})` : ''}`,
      `  subject     ${leaf.subject}`,
      `  SANs        ${sansText(leaf.sans)}`,
      `  serial      ${leaf.serialNumber}`,
      `  issuer      ${leaf.issuer}`,
      `  key         ${leaf.keyAlgorithm}, fits the certificate${readableByOthers(layout.key) ? ` (WARNING: ${layout.key} is readable by others: chmod 600)` : ''}`,
      `  chain       ${creds.caPems.length ? `reaches ${layout.ca}` : `not checked (${layout.ca} missing)`}`,
      `  valid       ${leaf.notBefore.toISOString()} .. ${leaf.notAfter.toISOString()}${expired ? ' (EXPIRED)' : ` (${formatDuration(leaf.notAfter.getTime() - now.getTime())} left)`}`,
      `  renewal     ${decision.renewAt.toISOString()} (${renewIn <= 0 ? 'due now' : `in ${formatDuration(renewIn)}`})`,
      remote
        ? `  api         ${remote.current ? 'current' : `NOT current (the current generation is ${remote.generation})`}, ${remote.status} (asked by ${remote.via === 'possession' ? 'proof of possession' : 'token'})`
        : remoteError
          ? `  api         unknown: ${remoteError.message}`
          : '  api         not asked (--offline)',
    ];
    output.result(human, {
      cert: layout.cert,
      certificateId,
      subject: leaf.subject,
      commonName: leaf.commonName,
      sans: leaf.sans,
      serialNumber: leaf.serialNumber,
      issuer: leaf.issuer,
      keyAlgorithm: leaf.keyAlgorithm,
      fingerprintSha256: leaf.fingerprintSha256,
      notBefore: leaf.notBefore.toISOString(),
      notAfter: leaf.notAfter.toISOString(),
      expired,
      renewAt: decision.renewAt.toISOString(),
      renewInSeconds: Math.round(renewIn / 1000),
      chainVerified: creds.caPems.length > 0,
      ...(remote ? { api: remote } : {}),
      ...(remoteError ? { apiError: { code: remoteError.code, message: remoteError.message } } : {}),
      now: now.toISOString(),
    });
    return remoteError ? remoteError.exitCode : EXIT.OK;
  },
};
