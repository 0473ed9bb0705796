#!/usr/bin/env node
// `npm run deploy:events [-- --apply]`: the custom EventBridge bus and rules of deploy/event-bus.json as `aliyun
// eventbridge` commands (EventBridge 2020-04-01 CreateEventBus / CreateRule; FC 3.0 target `acs.fc.function`).
// Without --apply it prints them; with --apply it runs them with the aliyun CLI (configured with the deployer's
// credentials). Needs REGION and FC_ACCOUNT_ID. A bus or rule that exists already is reported and left as it is.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bus = JSON.parse(readFileSync(join(root, 'deploy', 'event-bus.json'), 'utf8'));

/** The commands that create the bus and one rule per entry, FC 3.0 function targets invoked as the rule says. */
export function eventBusCommands({ region, accountId, eventBusName = process.env.EVENT_BUS_NAME || bus.eventBusName }) {
  const commands = [
    ['eventbridge', 'CreateEventBus', '--EventBusName', eventBusName, '--Description', 'nlb-mtls-autopilot requests'],
  ];
  for (const rule of bus.rules) {
    const target = {
      Id: `${rule.ruleName}-fc`,
      Type: 'acs.fc.function',
      Endpoint: `acs:fc:${region}:${accountId}:functions/${rule.functionName}`,
      PushRetryStrategy: 'BACKOFF_RETRY',
      ParamList: [
        { ResourceKey: 'functionName', Form: 'CONSTANT', Value: rule.functionName },
        { ResourceKey: 'Qualifier', Form: 'CONSTANT', Value: 'LATEST' },
        { ResourceKey: 'InvocationType', Form: 'CONSTANT', Value: rule.invocationType },
        { ResourceKey: 'Body', Form: 'ORIGINAL' },
      ],
    };
    commands.push([
      'eventbridge',
      'CreateRule',
      '--EventBusName',
      eventBusName,
      '--RuleName',
      rule.ruleName,
      '--Description',
      rule.description,
      '--FilterPattern',
      JSON.stringify(rule.filterPattern),
      '--EventTargets',
      JSON.stringify([target]),
    ]);
  }
  return commands;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const apply = process.argv.includes('--apply');
  const region = process.env.REGION || 'cn-hangzhou';
  const accountId = process.env.FC_ACCOUNT_ID;
  if (!accountId) {
    console.error('FC_ACCOUNT_ID is required (the account the functions are deployed in)');
    process.exit(2);
  }
  for (const args of eventBusCommands({ region, accountId })) {
    const shown = ['aliyun', ...args, '--region', region].map((a) => (/[\s"{}[\]]/.test(a) ? `'${a}'` : a)).join(' ');
    if (!apply) {
      console.log(shown);
      continue;
    }
    try {
      execFileSync('aliyun', [...args, '--region', region], { stdio: ['ignore', 'inherit', 'pipe'] });
    } catch (err) {
      const text = String(err.stderr ?? err.message);
      if (/AlreadyExist|already exist/i.test(text)) console.log(`exists already: ${args[1]} ${args[5] ?? args[3]}`);
      else {
        console.error(text);
        process.exit(1);
      }
    }
  }
}
