/**
 * The custom EventBridge bus of deploy/event-bus.json, served locally: each rule delivers matching CloudEvents to
 * its target function, as the bus's rule does in the cloud (an FC trigger on the default bus would never see them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventPatternMatcher } from './cloud-events.js';
import type { EventBridgeTrigger } from './triggers.js';

export interface EventBusRule {
  ruleName: string;
  description?: string;
  filterPattern: Record<string, unknown>;
  functionName: string;
  invocationType: 'Async' | 'Sync';
}

export interface EventBusDefinition {
  eventBusName: string;
  rules: EventBusRule[];
}

export function readEventBus(projectRoot: string): EventBusDefinition | undefined {
  const file = join(projectRoot, 'deploy', 'event-bus.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as EventBusDefinition;
}

/** The bus's rules that target `functionName`, as the runner's EventBridge triggers. */
export function busRulesFor(bus: EventBusDefinition | undefined, functionName: string): EventBridgeTrigger[] {
  return (bus?.rules ?? [])
    .filter((r) => r.functionName === functionName)
    .map((r) => {
      const pattern = JSON.stringify(r.filterPattern);
      return {
        kind: 'eventbridge',
        triggerName: `${bus!.eventBusName}/${r.ruleName}`,
        pattern,
        matches: eventPatternMatcher(pattern),
        enabled: true,
      };
    });
}
