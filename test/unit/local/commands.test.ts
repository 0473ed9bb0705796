// The local commands run in-process (local/<name>-command.ts) answer a usage error, --help and a failure the way their
// bins always did: the exit code returned (2 usage, 0 help, 1 failed) instead of exiting, the usage on stdout, the
// one-line failure on stderr. Nothing here starts a stack (invoke's failure: test/e2e/runner/invoke-cli.test.ts).
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { doctor } from '../../../local/doctor-command.js';
import { drift } from '../../../local/drift-command.js';
import { invoke } from '../../../local/invoke-command.js';
import { reconcile } from '../../../local/reconcile-command.js';
import { rotateCa } from '../../../local/rotate-ca-command.js';
import { runCommand } from '../../helpers/local-command.js';

// A data dir with no stack.json: no running stack to find, and nothing written there before the failure.
const env = { LOCAL_DATA_DIR: join(tmpdir(), 'nlb-mtls-no-such-stack') };

describe.each([
  ['reconcile', reconcile, ['--plan', '--apply']],
  ['drift', drift, ['lsn-a', 'lsn-b']],
  ['invoke', invoke, []],
  ['rotate-ca', rotateCa, ['no-such-stage']],
])('npm run %s in-process', (name, command, usageError) => {
  it('prints its usage and returns 2 for a usage error, 0 for --help', async () => {
    const bad = await runCommand(command, usageError, env);
    const help = await runCommand(command, ['--help'], env);

    expect(bad).toEqual({ code: 2, stdout: expect.stringMatching(`^usage: npm run ${name} -- `), stderr: '' });
    expect(help).toEqual({ ...bad, code: 0 });
  });
});

describe('the local commands in-process, failing', () => {
  it('reconcile: an unknown option is a failed run (1), said once on stderr', async () => {
    const run = await runCommand(reconcile, ['--plan', '--bogus'], env);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^npm run reconcile failed: .*'--bogus'/),
    });
  });

  it('drift: no running stack is a failed run (1)', async () => {
    const run = await runCommand(drift, [], env);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'npm run drift failed: no running stack: start it with `npm start` (in another terminal) first\n',
    });
  });

  it('doctor: --help is 0; no running stack and a recording folder that holds nothing are 2', async () => {
    const help = await runCommand(doctor, ['--help'], env);
    const noStack = await runCommand(doctor, [], env);
    const noRecording = await runCommand(doctor, ['--validate', join(env.LOCAL_DATA_DIR, 'recorded')], env);

    expect(help).toEqual({ code: 0, stdout: expect.stringMatching(/^usage: npm run doctor -- /), stderr: '' });
    expect(noStack).toEqual({
      code: 2,
      stdout: '',
      stderr: `no running local stack in ${env.LOCAL_DATA_DIR}: start it with \`npm start\` (or use --cloud)\n`,
    });
    expect(noRecording).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^npm run doctor: /) });
  });
});
