/** FC 3.0 hands a Node.js handler its event as a Buffer of JSON (a string or an object when invoked locally). */
import { ValidationError } from '../errors/index.js';

export function decodeFcEvent(event: unknown): unknown {
  if (event === undefined || event === null) return {};
  if (Buffer.isBuffer(event) || event instanceof Uint8Array || typeof event === 'string') {
    const text = Buffer.from(event as Uint8Array | string)
      .toString('utf8')
      .trim();
    if (text === '') return {};
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ValidationError('EVENT_INVALID_JSON', 'The event is not valid JSON.', { cause: err });
    }
  }
  return event;
}
