// FC event parsing (shared/events/, the reconcile function's event reader) against random input: any event is read
// or refused with a coded ValidationError (never another error); the same event reads the same however FC hands it
// over (a Buffer of JSON, a string, an object) and however EventBridge spells its data (an object, a JSON string,
// data_base64, with extension attributes); a re-delivered event gets the same run id.
import { randomUUID } from 'node:crypto';
import { runOptionsFromEvent } from '../../functions/reconcile-listeners/event.js';
import { toCloudEvent } from '../../local/runner/cloud-events.js';
import { ValidationError } from '../../shared/errors/index.js';
import { decodeFcEvent, parseSchedulerInput } from '../../shared/events/index.js';
import { fc, outcome } from './settings.js';

/** JSON.parse(JSON.stringify(v)): what survives the wire (-0 becomes 0). */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
/** The forms FC (a Buffer of JSON) and local invokes (JSON text, or the value itself) hand a handler its event. A JS
 * string is always JSON text, so a string value travels only as text. */
const deliveries = (value: unknown, pad: string) => {
  const text = pad + JSON.stringify(value) + pad;
  return [...(typeof value === 'string' ? [] : [value]), text, Buffer.from(text), new Uint8Array(Buffer.from(text))];
};
const padArb = fc.constantFrom('', ' ', '\n', '\t\r\n ');

function expectCoded(error: unknown, codes: string[]) {
  expect(error).toBeInstanceOf(ValidationError);
  expect(codes).toContain((error as ValidationError).code);
}

describe('decodeFcEvent', () => {
  it('reads any JSON value the same as an object, a JSON string, a Buffer or a Uint8Array', () => {
    fc.assert(
      fc.property(fc.jsonValue(), padArb, (value, pad) => {
        for (const form of deliveries(value, pad)) {
          const text = typeof form === 'string' || form instanceof Uint8Array;
          // No event at all reads as {}; an object is handed over as it is; text as what JSON.parse makes of it.
          expect(decodeFcEvent(form)).toEqual(form === null ? {} : text ? wire(value) : value);
        }
      }),
    );
  });

  it('answers a value or EVENT_INVALID_JSON for any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((b) => Buffer.from(b)),
        ),
        (raw) => {
          const result = outcome(() => decodeFcEvent(raw));
          if (!result.ok) expectCoded(result.error, ['EVENT_INVALID_JSON']);
        },
      ),
    );
  });
});

const certificateIdArb = fc.stringMatching(/^cc-[a-z0-9]{20,40}$/);
const renewDataArb = fc.record(
  {
    certificateId: certificateIdArb,
    generation: fc.integer({ min: 1, max: 1000 }),
    force: fc.boolean(),
    reason: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: ['certificateId'] },
);
/** The extension attributes EventBridge adds, and others a publisher may set. */
const extensionsArb = fc.record(
  {
    aliyunaccountid: fc.stringMatching(/^\d{16}$/),
    aliyunregionid: fc.constantFrom('cn-hangzhou', 'ap-southeast-1'),
    aliyuneventbusname: fc.string({ minLength: 1, maxLength: 20 }),
    traceparent: fc.string({ maxLength: 55 }),
    subject: fc.string({ maxLength: 100 }),
  },
  { requiredKeys: [] },
);

describe('renew-scheduler input', () => {
  it('reads a renew.requested event the same whether data is an object, a JSON string or data_base64', () => {
    fc.assert(
      fc.property(renewDataArb, extensionsArb, fc.uuid(), padArb, (data, extensions, id, pad) => {
        const base = { specversion: '1.0', id, source: 'ops.example', type: 'renew.requested', ...extensions };
        const spellings = [
          { ...base, data },
          { ...base, datacontenttype: 'application/json', data: JSON.stringify(data) },
          { ...base, data_base64: Buffer.from(JSON.stringify(data)).toString('base64') },
        ];
        const expected = { kind: 'requested', eventId: id, source: 'ops.example', data };
        for (const spelling of spellings)
          for (const form of deliveries(spelling, pad))
            expect(parseSchedulerInput(decodeFcEvent(form))).toEqual(expected);
      }),
    );
  });

  it('reads the CloudEvents the local runner publishes', () => {
    fc.assert(
      fc.property(renewDataArb, fc.string({ minLength: 1, maxLength: 50 }), (data, source) => {
        const event = toCloudEvent(
          { type: 'renew.requested', source, data },
          { accountId: '1', region: 'cn-hangzhou' },
        );
        expect(parseSchedulerInput(wire(event))).toEqual({ kind: 'requested', eventId: event.id, source, data });
      }),
    );
  });

  it('reads any timer event as a scheduled sweep, whatever else FC adds to it', () => {
    const timerArb = fc.record({
      triggerTime: fc.string({ minLength: 1 }),
      triggerName: fc.string({ minLength: 1 }),
      payload: fc.string(),
      extra: fc.jsonValue(),
    });
    fc.assert(
      fc.property(timerArb, padArb, (timer, pad) => {
        for (const form of deliveries(timer, pad))
          expect(parseSchedulerInput(decodeFcEvent(form))).toEqual({
            kind: 'sweep',
            trigger: 'schedule',
            triggerName: timer.triggerName,
          });
      }),
    );
  });

  it('answers any JSON value with an input or EVENT_INVALID (never another error)', () => {
    const eventish = fc.oneof(
      fc.jsonValue(),
      fc.record(
        { specversion: fc.jsonValue(), id: fc.jsonValue(), type: fc.jsonValue(), data: fc.jsonValue() },
        {
          requiredKeys: ['specversion'],
        },
      ),
      fc.record({ triggerTime: fc.jsonValue(), triggerName: fc.jsonValue() }, { requiredKeys: ['triggerTime'] }),
      renewDataArb.map((data) => ({
        specversion: '1.0',
        id: 'x',
        source: 's',
        type: 'renew.requested',
        data: { ...data, x: 1 },
      })),
    );
    fc.assert(
      fc.property(eventish, (event) => {
        const result = outcome(() => parseSchedulerInput(event));
        if (!result.ok) expectCoded(result.error, ['EVENT_INVALID']);
      }),
    );
  });
});

describe('reconcile-listeners input', () => {
  const requestArb = fc.record(
    {
      mode: fc.constantFrom('plan', 'apply'),
      listenerId: fc.stringMatching(/^lsn-[A-Za-z0-9-]{1,64}$/),
      forceCaChange: fc.boolean(),
      verify: fc.boolean(),
    },
    { requiredKeys: [] },
  );
  const expectedOptions = (request: Record<string, unknown>) => ({
    mode: request.mode ?? 'plan',
    ...(request.listenerId ? { listenerId: request.listenerId } : {}),
    ...(request.forceCaChange ? { forceCaChange: true } : {}),
    ...(request.verify !== undefined ? { verify: request.verify } : {}),
  });

  it('reads the same request from a timer payload, a CloudEvent (any data spelling) or a direct invoke', () => {
    fc.assert(
      fc.property(requestArb, fc.uuid(), padArb, (request, id, pad) => {
        const cloud = { specversion: '1.0', id, source: 'ops', type: 'reconcile.requested' };
        const events = [
          { triggerTime: '2026-11-30T00:00:00Z', triggerName: 'reconcile', payload: JSON.stringify(request) },
          { ...cloud, data: request },
          { ...cloud, data: JSON.stringify(request) },
          { ...cloud, data_base64: Buffer.from(JSON.stringify(request)).toString('base64') },
          request,
        ];
        for (const event of events)
          for (const form of deliveries(event, pad)) {
            const { runId, ...options } = runOptionsFromEvent(form, { requestId: 'req-1' }, 'plan');
            expect(options).toEqual(expectedOptions(request));
            expect(runId).toEqual(expect.any(String));
          }
      }),
    );
  });

  it('gives a re-delivered event the same run id (so its ClientTokens repeat and NLB starts no second job)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (id, name, time) => {
        const cloud = { specversion: '1.0', id, source: 'ops', type: 'reconcile.requested', data: {} };
        const timer = { triggerTime: time, triggerName: name, payload: '' };
        for (const event of [cloud, timer]) {
          const first = runOptionsFromEvent(event, { requestId: randomUUID() }, 'plan').runId;
          expect(runOptionsFromEvent(JSON.stringify(event), { requestId: randomUUID() }, 'plan').runId).toBe(first);
        }
      }),
    );
  });

  it('answers any event with options or EVENT_INVALID / EVENT_INVALID_JSON (never another error)', () => {
    const eventish = fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.record({
        triggerTime: fc.string({ minLength: 1 }),
        triggerName: fc.string({ minLength: 1 }),
        payload: fc.string(),
      }),
      fc.record({
        specversion: fc.constant('1.0'),
        id: fc.string({ minLength: 1 }),
        source: fc.constant('s'),
        type: fc.string({ minLength: 1 }),
        data: fc.jsonValue(),
      }),
    );
    fc.assert(
      fc.property(eventish, (event) => {
        const result = outcome(() => runOptionsFromEvent(event, { requestId: 'req-1' }, 'apply'));
        if (!result.ok) expectCoded(result.error, ['EVENT_INVALID', 'EVENT_INVALID_JSON']);
      }),
    );
  });
});
