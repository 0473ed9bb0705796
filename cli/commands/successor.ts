/**
 * `nlb-mtls successor`: during a CA rotation, fetches the successor of the certificate in NAME.crt (by proof of
 * possession, no token) and keeps it beside it; `--promote` makes it the certificate now. `check` promotes it by
 * itself when the listener refuses the current certificate and lets the successor in (docs/rotation.md).
 */
import type { Command, CommandContext } from '../context.js';
import { timeoutMs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { fileLayout } from '../layout.js';
import { API_OPTION, COMMON_OPTIONS, FILE_OPTIONS } from '../options.js';
import { fetchSuccessor, promoteSuccessor, successorFiles } from '../successor.js';
import { describeCertificate } from './summary.js';

export const successorCommand: Command = {
  spec: {
    name: 'successor',
    summary: "during a CA rotation: fetch the certificate's successor under the new CA",
    usage: 'nlb-mtls successor [--promote] [options]',
    description: [
      'A CA rotation gives every certificate a successor under the new CA before the listener switches to it.',
      'This fetches it with a proof of possession of NAME.key (no token), checks it (same names; in CSR mode the',
      'same key; chains to the new root that comes with it) and writes NAME.successor.crt, NAME.successor.ca.crt',
      'and NAME.successor.json beside the current files, which stay in use. `check` tries the successor when the',
      'listener refuses the current certificate, and promotes it when it gets in; --promote does that now.',
      'A successor left from an earlier rotation (it names another certificate, other names, another key, or has',
      'expired) is dropped with a note and fetched again. Exit 4 with NO_SUCCESSOR when no rotation issued one.',
    ],
    options: [
      API_OPTION,
      {
        name: 'promote',
        type: 'boolean',
        description: 'make the successor the certificate now (NAME.previous.* keep the old files)',
      },
      { name: 'id', type: 'string', placeholder: 'ID', description: 'the certificate id, when NAME.json is missing' },
      ...FILE_OPTIONS,
      ...COMMON_OPTIONS,
    ],
    examples: ['nlb-mtls successor', 'nlb-mtls successor --promote --json'],
  },

  async run({ cmd, output }: CommandContext) {
    const layout = fileLayout(cmd);
    const fetched = await fetchSuccessor({
      layout,
      api: cmd.get('api'),
      apiSource: cmd.source('api'),
      certificateId: cmd.get('id'),
      timeoutMs: timeoutMs(cmd),
      output,
    });
    const files = successorFiles(layout);
    const promoted = cmd.flag('promote') ? promoteSuccessor(layout) : undefined;
    output.result(
      [
        `${fetched.already ? 'Already here' : 'Fetched'}: successor ${fetched.state.certificateId} of ${fetched.state.succeeds} (rotation ${fetched.state.rotation.id}, new CA ${fetched.state.rotation.toCa})`,
        ...describeCertificate(fetched.info, fetched.state.generation),
        promoted
          ? `  promoted    now in ${layout.cert} (the previous certificate: ${files.previous.cert})`
          : `  files       ${files.cert}, ${files.ca} (the current certificate stays in ${layout.cert} until the switch)`,
      ],
      {
        successorId: fetched.state.certificateId,
        succeeds: fetched.state.succeeds,
        rotation: fetched.state.rotation,
        serialNumber: fetched.info.serialNumber,
        notAfter: fetched.info.notAfter.toISOString(),
        fetched: !fetched.already,
        ...(fetched.droppedStale ? { droppedStale: fetched.droppedStale } : {}),
        promoted: Boolean(promoted),
        files: promoted ? promoted.written : fetched.written,
      },
    );
    return EXIT.OK;
  },
};
