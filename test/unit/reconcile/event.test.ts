// Prepare: the events each trigger delivers (FC timer, EventBridge CloudEvent, direct invocation). Act:
// runOptionsFromEvent. Assess: the mode, the listener, and a run id that is stable for a re-delivered event.
import { runOptionsFromEvent } from '../../../functions/reconcile-listeners/event.js';

const timer = (payload?: string) =>
  Buffer.from(
    JSON.stringify({
      triggerTime: '2026-06-01T00:10:00Z',
      triggerName: 'reconcile-schedule',
      ...(payload !== undefined ? { payload } : {}),
    }),
  );
const cloudEvent = (data: unknown, type = 'reconcile.requested') => ({
  specversion: '1.0',
  id: 'evt-1',
  source: 'acs.custom',
  type,
  time: '2026-06-01T00:00:00Z',
  datacontenttype: 'application/json',
  data,
  aliyunaccountid: '1234567890123456',
  aliyunregionid: 'cn-hangzhou',
  aliyuneventbusname: 'default',
});

describe('runOptionsFromEvent', () => {
  it.each<[string, unknown, object]>([
    [
      'the timer with an apply payload',
      timer('{"mode":"apply"}'),
      { mode: 'apply', runId: 'timer:reconcile-schedule:2026-06-01T00:10:00Z' },
    ],
    [
      'the timer without a payload (the configured default mode)',
      timer(),
      { mode: 'plan', runId: 'timer:reconcile-schedule:2026-06-01T00:10:00Z' },
    ],
    [
      'a CloudEvent naming one listener',
      cloudEvent({ mode: 'apply', listenerId: 'lsn-abc' }),
      { mode: 'apply', listenerId: 'lsn-abc', runId: 'event:evt-1' },
    ],
    ['a CloudEvent with data as a JSON string', cloudEvent('{"mode":"plan"}'), { mode: 'plan', runId: 'event:evt-1' }],
    [
      'a direct invocation as a Buffer',
      Buffer.from('{"mode":"apply","forceCaChange":true}'),
      { mode: 'apply', forceCaChange: true, runId: 'invoke:req-1' },
    ],
    ['an empty direct invocation', Buffer.alloc(0), { mode: 'plan', runId: 'invoke:req-1' }],
  ])('reads %s', (_name, event, expected) => {
    expect(runOptionsFromEvent(event, { requestId: 'req-1' }, 'plan')).toEqual(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['an unknown mode', { mode: 'destroy' }, /mode/],
    ['an unknown field (strict)', { mode: 'apply', force: true }, /Unrecognized key/],
    ['a bad listener id', { listenerId: 'abc' }, /listenerId/],
    ['a timer payload that is not JSON', timer('apply'), /not JSON/],
    ['a CloudEvent of another type', cloudEvent({}, 'renew.requested'), /not for this function/],
    ['a body that is not JSON', Buffer.from('{'), /not valid JSON/],
  ])('refuses %s', (_name, event, message) => {
    expect(() => runOptionsFromEvent(event, { requestId: 'req-1' }, 'plan')).toThrow(message);
  });
});
