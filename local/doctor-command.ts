/**
 * `npm run doctor [-- --cloud] [--record DIR] [--json]` and `npm run doctor -- --validate DIR [--json]` (entry:
 * local/doctor.ts; tests call `doctor` in-process): proves the cloud assumptions the code builds on, one line per
 * assumption (docs/cloud-fidelity.md), with read-only and DryRun calls only, against the running local stack or, with
 * `--cloud`, the account in the environment; `--record DIR` saves every answer (secrets and account ids removed) in
 * the contract format and holds them to the contracts at once; `--validate DIR` holds a saved recording to them
 * later, without calling anything. Exit code 0 when all pass, 1 when a check fails or a recorded answer breaks its
 * contract, 2 when there is nothing to check (no running stack, no recording in DIR).
 */
import { parseArgs } from 'node:util';
import { runChecks, type Finding } from './doctor/checks.js';
import { Recorder } from './doctor/record.js';
import { cloudTarget, localTarget } from './doctor/targets.js';
import { renderRecordingFindings, validateRecordedCall, validateRecording } from './doctor/validate.js';
import { DEFAULT_DATA_DIR, findRunningStack } from './runner/stack-file.js';
import { messageOf, type CommandIo } from './command-io.js';

const USAGE = `usage: npm run doctor -- [--cloud] [--record DIR] [--json]  |  npm run doctor -- --validate DIR [--json]
  --cloud         the Alibaba Cloud account in the environment (REGION, OSS_BUCKET, FC_ACCOUNT_ID,
                  PCA_PARENT_IDENTIFIER, DESIRED_STATE_FILE; keys from ALIBABA_CLOUD_* or the default credential chain)
  --record DIR    save the answers (secrets and account ids removed) in the contract format, and check them
                  against the contracts (contracts/): the line "record.contracts"
  --validate DIR  check answers saved by --record against the contracts (no stack, no account needed); exit 1 when
                  one breaks its contract, 2 when DIR holds none
  --json          print the findings as JSON`;

export function renderFindings(findings: Finding[]): string {
  const lines = findings.map(
    (f) => `${f.status.padEnd(4)}  ${f.check}: ${f.message}${f.assumption ? `  [${f.assumption}]` : ''}`,
  );
  const count = (s: Finding['status']) => findings.filter((f) => f.status === s).length;
  lines.push(
    '',
    `doctor: ${count('PASS')} passed, ${count('WARN')} warnings, ${count('FAIL')} failed, ${count('SKIP')} skipped`,
  );
  return lines.join('\n');
}

/** The answers this run recorded, held to the contracts as `--validate` does. */
function recordedContracts(recorder: Recorder, dir: string): Finding {
  const problems = recorder.calls.flatMap((call) =>
    validateRecordedCall(JSON.stringify(call)).map((p) => `${call.product}-${call.version} ${call.action}: ${p}`),
  );
  return problems.length === 0
    ? {
        status: 'PASS',
        check: 'record.contracts',
        message: `the ${recorder.calls.length} recorded answers keep their contracts (again later: npm run doctor -- --validate ${dir})`,
      }
    : { status: 'FAIL', check: 'record.contracts', message: problems.join('; ') };
}

/** `--validate DIR`: a saved recording held to the contracts; 2 when DIR cannot be read or holds no answer. */
function validate(dir: string, json: boolean | undefined, io: CommandIo): number {
  let findings;
  try {
    findings = validateRecording(dir);
  } catch (err) {
    io.stderr(`npm run doctor: ${messageOf(err)}\n`);
    return 2;
  }
  io.stdout((json ? JSON.stringify(findings, null, 2) : renderRecordingFindings(dir, findings)) + '\n');
  return findings.length === 0 ? 2 : findings.some((f) => f.problems.length > 0) ? 1 : 0;
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      cloud: { type: 'boolean' },
      record: { type: 'string' },
      validate: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(USAGE + '\n');
    return 0;
  }
  if (values.validate !== undefined) return validate(values.validate, values.json, io);
  let target;
  if (values.cloud) target = await cloudTarget(io.env);
  else {
    const dataDir = io.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
    const stack = await findRunningStack(dataDir);
    if (!stack) {
      io.stderr(`no running local stack in ${dataDir}: start it with \`npm start\` (or use --cloud)\n`);
      return 2;
    }
    target = localTarget(stack, io.env);
  }
  const recorder = new Recorder(values.record);
  const findings = await runChecks(target, recorder);
  if (values.record) findings.push(recordedContracts(recorder, values.record));
  io.stdout((values.json ? JSON.stringify(findings, null, 2) : renderFindings(findings)) + '\n');
  if (values.record) io.stderr(`recorded ${recorder.calls.length} answers in ${values.record}\n`);
  return findings.some((f) => f.status === 'FAIL') ? 1 : 0;
}

/** Runs the checks (or validates a recording); resolves the exit code (0 pass, 1 a failure, 2 nothing to check). */
export async function doctor(argv: string[], io: CommandIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    io.stderr(`npm run doctor failed: ${messageOf(err)}\n`);
    return 1;
  }
}
