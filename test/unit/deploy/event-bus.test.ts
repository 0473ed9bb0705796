// Prepare: deploy/event-bus.json and s.yaml. Act: the deploy commands and the local runner's reading of the bus.
// Assess: each custom event type has a rule on the custom bus that invokes its function asynchronously, by the
// name s.yaml deploys it under, and the local runner routes by the same rules (D3, D12).
import { join } from 'node:path';
import { loadSYaml } from '../../../local/s-yaml.js';
import { busRulesFor, readEventBus } from '../../../local/runner/event-bus.js';
import type { CloudEvent } from '../../../local/runner/cloud-events.js';
// @ts-expect-error a plain .mjs deploy script without types
import { eventBusCommands } from '../../../scripts/deploy-event-bus.mjs';

const root = process.cwd();
const bus = readEventBus(root)!;
const functions = Object.values(loadSYaml(join(root, 's.yaml'), {}).resources).map((r) => r.props.functionName);

describe('the custom event bus', () => {
  it.each([
    ['renew.requested', 'nlb-mtls-renew-scheduler'],
    ['reconcile.requested', 'nlb-mtls-reconcile-listeners'],
  ])('routes %s to %s, asynchronously', (type, functionName) => {
    const rules = busRulesFor(bus, functionName);
    const event = { specversion: '1.0', id: '1', source: 'test', type, data: {} } as unknown as CloudEvent;

    expect(functions).toContain(functionName);
    expect(rules.some((r) => r.matches(event))).toBe(true);
    expect(rules.some((r) => r.matches({ ...event, type: 'something.else' }))).toBe(false);
    expect(bus.rules.find((r) => r.functionName === functionName)?.invocationType).toBe('Async');
  });

  it('is created by aliyun eventbridge commands with FC 3.0 function targets', () => {
    const commands: string[][] = eventBusCommands({ region: 'cn-shanghai', accountId: '1234567890123456' });
    const rule = commands.find((c) => c.includes('reconcile-requested'))!;
    const targets = JSON.parse(rule[rule.indexOf('--EventTargets') + 1]);

    expect(commands[0]).toEqual(expect.arrayContaining(['CreateEventBus', '--EventBusName', bus.eventBusName]));
    expect(rule[rule.indexOf('--EventBusName') + 1]).toBe(bus.eventBusName);
    expect(targets).toEqual([
      expect.objectContaining({
        Type: 'acs.fc.function',
        Endpoint: 'acs:fc:cn-shanghai:1234567890123456:functions/nlb-mtls-reconcile-listeners',
        ParamList: expect.arrayContaining([{ ResourceKey: 'InvocationType', Form: 'CONSTANT', Value: 'Async' }]),
      }),
    ]);
  });
});
