/**
 * `npm run doctor [-- --cloud] [--record DIR] [--json]`: proves the cloud assumptions the code builds on, one line
 * per assumption (docs/cloud-fidelity.md), with read-only and DryRun calls only. Default target: the running local
 * stack (`npm start`); `--cloud`: the account in the environment. `--record DIR` saves every answer, secrets and
 * account ids removed, in the contract format (DIR/<product>-<version>/<Action>.<n>.json), and holds them to the
 * contracts at once; `--validate DIR` holds a saved recording to them later, without calling anything. Exit 1 when a
 * check fails or a recorded answer breaks its contract.
 */
import { parseArgs } from 'node:util';
import { runChecks, type Finding } from './doctor/checks.js';
import { Recorder } from './doctor/record.js';
import { cloudTarget, localTarget } from './doctor/targets.js';
import { renderRecordingFindings, validateRecordedCall, validateRecording } from './doctor/validate.js';
import { DEFAULT_DATA_DIR, findRunningStack } from './runner/stack-file.js';

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cloud: { type: 'boolean' },
      record: { type: 'string' },
      validate: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.validate !== undefined) {
    let findings;
    try {
      findings = validateRecording(values.validate);
    } catch (err) {
      console.error(`npm run doctor: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    }
    console.log(values.json ? JSON.stringify(findings, null, 2) : renderRecordingFindings(values.validate, findings));
    process.exitCode = findings.length === 0 ? 2 : findings.some((f) => f.problems.length > 0) ? 1 : 0;
    return;
  }
  let target;
  if (values.cloud) target = await cloudTarget(process.env);
  else {
    const dataDir = process.env.LOCAL_DATA_DIR || DEFAULT_DATA_DIR;
    const stack = await findRunningStack(dataDir);
    if (!stack) {
      console.error(`no running local stack in ${dataDir}: start it with \`npm start\` (or use --cloud)`);
      process.exit(2);
    }
    target = localTarget(stack);
  }
  const recorder = new Recorder(values.record);
  const findings = await runChecks(target, recorder);
  if (values.record) findings.push(recordedContracts(recorder, values.record));
  console.log(values.json ? JSON.stringify(findings, null, 2) : renderFindings(findings));
  if (values.record) console.error(`recorded ${recorder.calls.length} answers in ${values.record}`);
  process.exitCode = findings.some((f) => f.status === 'FAIL') ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(`npm run doctor failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
