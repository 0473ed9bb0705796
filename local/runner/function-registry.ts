/**
 * The loaded functions of one local stack and the ways events reach them besides HTTP: direct invocation,
 * EventBridge CloudEvents (matched against each trigger's pattern) and timer ticks. Work started by events and
 * timers is tracked so the stack can wait for it.
 */
import { scrub } from '../../shared/log/index.js';
import { toCloudEvent } from './cloud-events.js';
import type { LocalFunction } from './function-host.js';
import { timerEvent } from './timers.js';
import type { LocalTrigger, TimerTrigger } from './triggers.js';

export interface EventDelivery {
  functionName: string;
  triggerName: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class UnknownFunctionError extends Error {
  constructor(name: string) {
    super(`no local function named ${name}`);
    this.name = 'UnknownFunctionError';
  }
}

export interface LoadedResource {
  resourceName: string;
  fn: LocalFunction;
  triggers: LocalTrigger[];
}

export interface FunctionRegistry {
  loaded: readonly LoadedResource[];
  /** By s.yaml resource name or FC function name. */
  find(name: string): LoadedResource;
  invoke(name: string, event?: unknown, requestId?: string): Promise<unknown>;
  deliver(r: LoadedResource, triggerName: string, event: unknown): Promise<EventDelivery>;
  publishEvent(input: unknown, onlyFunction?: string): Promise<{ eventId: string; deliveries: EventDelivery[] }>;
  fireTimer(name: string, triggerName?: string): Promise<EventDelivery[]>;
  /** Resolves when no event or timer delivery is running. */
  settled(): Promise<void>;
  busy(): boolean;
}

export function createFunctionRegistry(
  loaded: LoadedResource[],
  meta: { accountId: string; region: string; log: (line: string) => void },
): FunctionRegistry {
  const background = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    background.add(work);
    const forget = () => background.delete(work);
    work.then(forget, forget);
    return work;
  };

  const find = (name: string): LoadedResource => {
    const r = loaded.find((l) => l.resourceName === name || l.fn.spec.functionName === name);
    if (!r) throw new UnknownFunctionError(name);
    return r;
  };

  // A failed delivery is reported, not thrown: one failing subscriber must not hide the others' results.
  const deliver = async (r: LoadedResource, triggerName: string, event: unknown): Promise<EventDelivery> => {
    const functionName = r.fn.spec.functionName;
    try {
      return { functionName, triggerName, ok: true, result: await track(r.fn.invoke(event)) };
    } catch (err) {
      const error = scrub(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
      meta.log(JSON.stringify({ level: 'error', msg: 'invocation failed', fn: functionName, triggerName, error }));
      return { functionName, triggerName, ok: false, error };
    }
  };

  return {
    loaded,
    find,
    deliver,
    invoke: (name, event, requestId) => find(name).fn.invoke(event, { requestId }),
    async publishEvent(input, onlyFunction) {
      const event = toCloudEvent(input, { accountId: meta.accountId, region: meta.region });
      const targets = onlyFunction ? [find(onlyFunction)] : loaded;
      const deliveries = targets.flatMap((r) =>
        r.triggers
          .filter((t) => t.kind === 'eventbridge' && t.enabled && (onlyFunction !== undefined || t.matches(event)))
          .map((t) => deliver(r, t.triggerName, event)),
      );
      return { eventId: event.id, deliveries: await Promise.all(deliveries) };
    },
    async fireTimer(name, triggerName) {
      const r = find(name);
      const timers = r.triggers.filter(
        (t): t is TimerTrigger => t.kind === 'timer' && (!triggerName || t.triggerName === triggerName),
      );
      if (timers.length === 0) throw new UnknownFunctionError(`${name} timer ${triggerName ?? ''}`.trim());
      return Promise.all(
        timers.map((t) => deliver(r, t.triggerName, timerEvent(t.triggerName, t.payload, new Date()))),
      );
    },
    async settled() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    busy: () => background.size > 0,
  };
}
