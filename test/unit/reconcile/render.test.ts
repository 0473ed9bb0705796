// Prepare: a report with one listener of each kind. Act: renderReport. Assess: terraform-like lines a reader relies on.
import { renderReport } from '../../../shared/domain/listeners/render.js';
import type { RunReport } from '../../../shared/domain/listeners/report.js';
import { summarize } from '../../../shared/domain/listeners/report.js';

const results: RunReport['results'] = [
  {
    listenerId: 'lsn-a',
    region: 'cn-hangzhou',
    name: 'www',
    outcome: 'changes-planned',
    drift: false,
    durationMs: 3,
    plan: [
      { field: 'caEnabled', from: false, to: true },
      { field: 'caCertificateId', from: null, to: 'ca-root' },
    ],
  },
  { listenerId: 'lsn-b', region: 'cn-hangzhou', outcome: 'in-sync', drift: false, durationMs: 1, plan: [] },
  {
    listenerId: 'lsn-c',
    region: 'cn-hangzhou',
    outcome: 'blocked',
    drift: false,
    durationMs: 1,
    plan: [],
    rule: 'client-ip-preservation-off',
    violations: [{ rule: 'client-ip-preservation-off', message: 'server group sgp-2 has client-IP preservation on' }],
  },
];

describe('renderReport', () => {
  it('shows each change as field: from -> to, blocked rules, and a total line', () => {
    const text = renderReport({ runId: 'run-1', mode: 'plan', results, summary: summarize(results, 1200) });

    expect(text.split('\n')).toEqual([
      'Reconcile plan (run run-1)',
      '',
      '  ~ lsn-a (www) [cn-hangzhou]: will be updated in place',
      '      ~ caEnabled       : false -> true',
      '      ~ caCertificateId : (none) -> "ca-root"',
      '',
      '  = lsn-b [cn-hangzhou]: in sync',
      '',
      '  ! lsn-c [cn-hangzhou]: BLOCKED by rule client-ip-preservation-off, nothing changed',
      '      ! client-ip-preservation-off: server group sgp-2 has client-IP preservation on',
      '',
      'reconcile plan: 3 listeners: 1 to change, 1 in sync, 1 blocked, 0 failed (1.2 s)',
    ]);
  });
});
