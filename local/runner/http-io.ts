/** The runner's node:http helpers: bounded body reads with its own error, answers; listen/close come from local/http-server.ts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody as readCappedBody } from '../http-server.js';
import type { HttpAnswer } from './http-event.js';

export { closeServer, listen } from '../http-server.js';

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readCappedBody(req, limit, () => new BodyTooLargeError(limit));
}

export function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent) return;
  res.statusCode = answer.statusCode;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('content-length', answer.body.length);
  res.end(answer.body);
}

export function json(statusCode: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify(value), 'utf8'),
  };
}
