// The renewal resources in s.yaml: what FC must be told, beyond schema validity (test/unit/deploy checks that).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CronExpressionParser } from 'cron-parser';
import { loadSYaml } from '../../../local/s-yaml.js';
import { loadRenewSchedulerConfig } from '../../../shared/config/renewal.js';

const doc = loadSYaml(join(process.cwd(), 's.yaml'), {
  FC_ROLE_ARN: 'acs:ram::1234567890123456:role/nlb-mtls-autopilot',
  OSS_BUCKET: 'nma-bucket',
});
const scheduler = doc.resources['renew-scheduler'].props;
const worker = doc.resources['renew-worker'].props;

describe('s.yaml renewal resources', () => {
  it('renew-scheduler runs on a timer (6-field cron) and on renew.requested events from the custom bus', () => {
    const timer = scheduler.triggers!.find((t) => t.triggerType === 'timer')!;
    expect(timer.triggerConfig).toMatchObject({ enable: true });
    const cron = String(timer.triggerConfig.cronExpression);
    expect(cron.split(' ')).toHaveLength(6);
    const next = CronExpressionParser.parse(cron, { currentDate: new Date('2030-01-01T00:00:00Z'), tz: 'UTC' })
      .next()
      .toDate();
    expect(next.getTime() - Date.parse('2030-01-01T00:00:00Z')).toBeLessThanOrEqual(3_600_000);

    // renew.requested arrives through the custom bus's rule (deploy/event-bus.json), not an FC trigger on the
    // default bus, which carries only Alibaba Cloud service events.
    expect(scheduler.triggers!.some((t) => t.triggerType === 'eventbridge')).toBe(false);
    const bus = JSON.parse(readFileSync(join(process.cwd(), 'deploy', 'event-bus.json'), 'utf8'));
    expect(bus.rules).toContainEqual(
      expect.objectContaining({
        filterPattern: { type: ['renew.requested'] },
        functionName: scheduler.functionName,
        invocationType: 'Async',
      }),
    );
  });

  it('renew-scheduler invokes the worker by the name s.yaml deploys it under', () => {
    const env = scheduler.environmentVariables!;
    expect(env.RENEW_WORKER_FUNCTION).toBe(worker.functionName);
    expect(
      loadRenewSchedulerConfig({ ...env, ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b' })
        .workerFunctionName,
    ).toBe(worker.functionName);
  });

  it('renew-worker has FC retries and a destination for batches that still fail', () => {
    expect(worker.asyncInvokeConfig).toMatchObject({
      maxAsyncRetryAttempts: expect.any(Number),
      destinationConfig: {
        onFailure: { destination: expect.stringMatching(/^acs:mns:cn-hangzhou::\/queues\/[a-z0-9-]+\/messages$/) },
      },
    });
    expect(worker.asyncInvokeConfig!.maxAsyncRetryAttempts as number).toBeGreaterThan(0);
    expect(worker.triggers ?? []).toEqual([]); // reached only by async invocation
  });

  it('secrets are named (read from KMS by the function), never written in the file nor in its environment', () => {
    const raw = loadSYaml(join(process.cwd(), 's.yaml'), {}).resources['renew-worker'].props.environmentVariables!;
    expect(raw.STATE_KEY).toBeUndefined();
    expect(raw.STATE_KEY_SECRET_NAME).toBe('nlb-mtls/state-key');
    expect(raw.WEBHOOK_MASTER_KEY_SECRET_NAME).toBe('nlb-mtls/webhook-master-key');
  });
});
