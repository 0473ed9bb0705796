/**
 * `nlb-mtls agent`: keeps the certificate fresh, like `step ca renew --daemon`. Renews by proof of possession at
 * 2/3 of the lifetime (minus a per-certificate jitter: shared/domain/renewal/client-schedule.ts, the service's
 * rule), backs off after failures, replaces the files atomically, runs --on-renew, and logs one line per event.
 * `--once` does one round and exits. It stops for good (exit 4) on what no retry can fix: a revoked, superseded
 * or expired certificate, or a tenant that does not allow renewal by possession.
 */
import { createHash, randomInt } from 'node:crypto';
import { clientRetryDelayMs, decideAgentStep } from '../../shared/domain/renewal/client-schedule.js';
import { cliClock, formatDuration } from '../clock.js';
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { loadCredentials, type LocalCredentials } from '../credentials.js';
import { CliError, EXIT } from '../exit-codes.js';
import { runHook } from '../hooks.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS, NOW_OPTION } from '../options.js';
import { renewByPossession } from '../renewal.js';
import { fetchSuccessor, readSuccessorState, staleSuccessor, successorFiles } from '../successor.js';
import { hookEnv, RENEW_OPTIONS } from './renew.js';

/** The agent re-reads the files at least this often (someone may have renewed or replaced them by hand). */
const MAX_SLEEP_MS = 3_600_000;

/** A stable number in [0, 1) per certificate: the same jitter after every restart, a different one per device. */
export function jitterOf(serialNumber: string): number {
  return createHash('sha256').update(serialNumber).digest().readUInt32BE(0) / 2 ** 32;
}

function sleep(ms: number, stopped: Promise<void>): Promise<'slept' | 'stopped'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('slept'), Math.max(0, ms));
    void stopped.then(() => {
      clearTimeout(timer);
      resolve('stopped');
    });
  });
}

export const agentCommand: Command = {
  spec: {
    name: 'agent',
    summary: 'keep the certificate fresh (renew at 2/3 of its lifetime, run a hook)',
    usage: 'nlb-mtls agent [--once] [--on-renew COMMAND] [options]',
    description: [
      'Renews the certificate in NAME.crt by proof of possession (no token) once 2/3 of its lifetime has passed,',
      'less a jitter of up to 5% of the lifetime that is fixed per certificate. After a failure it retries with',
      'exponential backoff (1 min doubling to 4 h, never more than a quarter of the time left). Files are replaced',
      'atomically, then --on-renew runs. One log line per event on stdout (--json: JSON lines). Without --once it',
      'runs until SIGTERM/SIGINT (exit 0); it exits 4 when renewing can no longer work (revoked, superseded, expired',
      'certificate, or renewal by possession not allowed), 3 on a local file problem.',
    ],
    options: [
      {
        name: 'once',
        type: 'boolean',
        description: 'one round: renew if due, then exit (0 also when nothing was due)',
      },
      API_OPTION,
      ...RENEW_OPTIONS.filter((o) => o.name !== 'id'),
      NOW_OPTION,
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: [
      'nlb-mtls agent --dir /etc/nlb-mtls --on-renew "systemctl reload nginx"',
      'nlb-mtls agent --once --json',
      'NLB_MTLS_NOW=2027-01-01T00:00:00Z nlb-mtls agent --once   # tests: make the certificate due now',
    ],
  },

  async run({ cmd, output, streams, stopped }: CommandContext) {
    const layout = fileLayout(cmd);
    const clock = cliClock(cmd.get('now'));
    const once = cmd.flag('once');
    const hook = cmd.get('on-renew');
    const settings = {
      layout,
      api: cmd.get('api'),
      apiSource: cmd.source('api'),
      reuseKey: cmd.flag('reuse-key'),
      keyType: cmd.get('key-type'),
      timeoutMs: timeoutMs(cmd),
      // The agent speaks in events; per-step progress lines would break "one line per event".
      output: { ...output, progress: () => undefined, note: () => undefined },
    };
    const log = (event: string, fields: Record<string, string | number | boolean | undefined> = {}) =>
      output.event(event, fields, clock.now());

    log('started', { cert: layout.cert, once, ...(cmd.get('now') ? { clock: clock.now().toISOString() } : {}) });
    let failures = 0;
    let announced = '';
    for (;;) {
      const creds = loadCredentials(layout, { requireCa: true });
      if (creds.recovered)
        log('recovered', { detail: 'finished an interrupted file replacement', serial: creds.leaf.serialNumber });
      await takeSuccessor(settings, creds, log);
      const now = clock.now();
      const decision = decideAgentStep(creds.leaf, now, jitterOf(creds.leaf.serialNumber));
      if (decision.action === 'expired') {
        log('expired', { serial: creds.leaf.serialNumber, not_after: creds.leaf.notAfter.toISOString() });
        throw new CliError(
          EXIT.REFUSED,
          'CERTIFICATE_EXPIRED',
          `The certificate in ${layout.cert} has expired; it cannot renew itself.`,
          {
            hint: 'request a new one with a token: nlb-mtls request CN --force',
          },
        );
      }
      if (decision.action === 'wait') {
        const key = `${creds.leaf.serialNumber}/${decision.renewAt.toISOString()}`;
        if (key !== announced) {
          log('waiting', {
            serial: creds.leaf.serialNumber,
            renew_at: decision.renewAt.toISOString(),
            in: formatDuration(decision.renewAt.getTime() - now.getTime()),
          });
          announced = key;
        }
        if (once) return EXIT.OK;
        const slept = await sleep(Math.min(decision.renewAt.getTime() - now.getTime(), MAX_SLEEP_MS), stopped);
        if (slept === 'stopped') break;
        continue;
      }

      log('renewing', {
        serial: creds.leaf.serialNumber,
        reason: decision.reason,
        renew_at: decision.renewAt.toISOString(),
      });
      let outcome;
      try {
        outcome = await renewByPossession(settings, creds);
      } catch (err) {
        const error = err instanceof CliError ? err : new CliError(EXIT.INTERNAL, 'INTERNAL', String(err));
        const transient = error.exitCode === EXIT.UNAVAILABLE || error.exitCode === EXIT.VERIFICATION;
        if (!transient || once) {
          log(transient ? 'renew-failed' : 'renew-refused', { code: error.code, message: error.message });
          throw err;
        }
        failures += 1;
        const delay = clientRetryDelayMs(failures, clock.now(), creds.leaf, () => randomInt(0, 1_000_000) / 1_000_000);
        log('renew-failed', {
          code: error.code,
          message: error.message,
          attempt: failures,
          retry_in: formatDuration(delay),
        });
        if ((await sleep(delay, stopped)) === 'stopped') break;
        continue;
      }
      failures = 0;
      log('renewed', {
        certificate: outcome.certificateId,
        generation: outcome.generation,
        serial: outcome.info.serialNumber,
        not_after: outcome.info.notAfter.toISOString(),
        new_key: outcome.newKey,
      });
      if (hook) {
        const result = await runHook(hook, hookEnv(layout, outcome), streams.stderr);
        if (result.ok) log('hook-ok', { command: hook });
        else
          log('hook-failed', {
            command: hook,
            exit_code: result.exitCode ?? undefined,
            signal: result.signal,
            error: result.error,
          });
        if (once) return result.ok ? EXIT.OK : EXIT.HOOK_FAILED;
      } else if (once) return EXIT.OK;
    }
    log('stopped');
    return EXIT.OK;
  },
};

/**
 * A CA rotation in progress: fetch the successor once, so the rotation's gate counts this device (the certificate in
 * use does not change; `check` or `successor --promote` switches to it after the listener did). Quiet when there is
 * none; a failure is an event, never the agent's end.
 */
async function takeSuccessor(
  settings: Parameters<typeof fetchSuccessor>[0],
  creds: LocalCredentials,
  log: (event: string, fields?: Record<string, string | number | boolean | undefined>) => void,
): Promise<void> {
  const current = {
    certificateId: settings.certificateId ?? creds.state?.certificateId,
    leaf: creds.leaf,
    key: creds.key,
  };
  try {
    const files = successorFiles(settings.layout);
    const have = readSuccessorState(files);
    if (have) {
      const { reason } = staleSuccessor(files, have, current, new Date());
      if (!reason) return;
      // Left from an earlier rotation: fetchSuccessor drops it and asks for the current one.
      log('successor-stale', { successor: have.certificateId, rotation: have.rotation.id, reason });
    }
    const got = await fetchSuccessor(settings);
    log('successor-fetched', {
      successor: got.state.certificateId,
      rotation: got.state.rotation.id,
      serial: got.info.serialNumber,
    });
  } catch (err) {
    if (err instanceof CliError && err.code === 'NO_SUCCESSOR') return;
    log('successor-failed', { code: err instanceof CliError ? err.code : 'INTERNAL', message: (err as Error).message });
  }
}
