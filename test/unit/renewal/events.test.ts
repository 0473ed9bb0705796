// The scheduler's inputs, parsed once at the edge: fixtures per event source, then the refusals.
import { readFileSync } from 'node:fs';
import { decodeFcEvent, parseSchedulerInput, RenewWorkerPayloadSchema } from '../../../shared/events/index.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('parseSchedulerInput', () => {
  it('reads an FC timer event (a Buffer, as FC delivers it)', () => {
    expect(parseSchedulerInput(decodeFcEvent(fixture('timer-event.json')))).toEqual({
      kind: 'sweep',
      trigger: 'schedule',
      triggerName: 'renew-sweep',
    });
  });

  it('reads an EventBridge renew.requested CloudEvent with extension attributes', () => {
    expect(parseSchedulerInput(decodeFcEvent(fixture('eventbridge-renew-requested.json')))).toEqual({
      kind: 'requested',
      eventId: '45ef4dewdwe1-7c35-447a-bd93-fab****',
      source: 'acme.inventory',
      data: { certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01', generation: 3, force: true, reason: 'key compromise drill' },
    });
  });

  it('accepts data delivered as a JSON string', () => {
    const event = JSON.parse(fixture('eventbridge-renew-requested.json').toString());
    event.data = JSON.stringify({ certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01' });
    expect(parseSchedulerInput(event)).toMatchObject({
      kind: 'requested',
      data: { certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01' },
    });
  });

  it.each([
    ['an empty invoke', Buffer.alloc(0)],
    ['{}', '{}'],
    ['{"action":"sweep"}', '{"action":"sweep"}'],
  ])('treats %s as a manual sweep', (_name, raw) => {
    expect(parseSchedulerInput(decodeFcEvent(raw))).toEqual({ kind: 'sweep', trigger: 'manual' });
  });

  const base = () => JSON.parse(fixture('eventbridge-renew-requested.json').toString());
  it.each<[string, (e: any) => unknown, string]>([
    ['another event type', (e) => ({ ...e, type: 'renew.done' }), 'EVENT_INVALID'],
    ['CloudEvents 0.3', (e) => ({ ...e, specversion: '0.3' }), 'EVENT_INVALID'],
    ['an id that would escape a key', (e) => ({ ...e, data: { certificateId: '../records/x' } }), 'EVENT_INVALID'],
    [
      'an unknown data field',
      (e) => ({ ...e, data: { certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01', tenant: 'other' } }),
      'EVENT_INVALID',
    ],
    ['no data', (e) => ({ ...e, data: undefined }), 'EVENT_INVALID'],
    ['a timer event without a name', () => ({ triggerTime: 'x' }), 'EVENT_INVALID'],
    ['anything else', () => ({ action: 'delete-everything' }), 'EVENT_INVALID'],
  ])('refuses %s', (_name, mutate, code) => {
    expect(() => parseSchedulerInput(mutate(base()))).toThrow(expect.objectContaining({ code, status: 400 }));
  });

  it('refuses bytes that are not JSON', () => {
    expect(() => decodeFcEvent(Buffer.from('{nope'))).toThrow(expect.objectContaining({ code: 'EVENT_INVALID_JSON' }));
  });
});

describe('RenewWorkerPayloadSchema', () => {
  const payload = {
    sweepId: '1900000000000-abc123',
    trigger: 'schedule',
    batch: 0,
    batches: 1,
    items: [
      { certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01', indexKeys: ['index/renew/001900000000/cc-aaaaaaaaaaaaaaaaaaaa01'] },
    ],
  };
  it('accepts what the scheduler sends', () => expect(RenewWorkerPayloadSchema.parse(payload)).toEqual(payload));
  it.each<[string, object]>([
    ['no items', { ...payload, items: [] }],
    [
      'an index key outside the index',
      {
        ...payload,
        items: [{ certificateId: 'cc-aaaaaaaaaaaaaaaaaaaa01', indexKeys: ['records/cc-aaaaaaaaaaaaaaaaaaaa01.json'] }],
      },
    ],
    ['an extra field', { ...payload, extra: 1 }],
  ])('refuses %s', (_name, bad) => expect(RenewWorkerPayloadSchema.safeParse(bad).success).toBe(false));
});
