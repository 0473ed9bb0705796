/**
 * The node:http plumbing every local server shares (the emulator's RPC, OSS and FC endpoints, the runner's HTTP
 * trigger and control servers): listen on loopback, keep idle connections longer than the clients reuse them,
 * read a body with a cap, wait out injected delays that close() can cut short, and close without waiting for
 * idle keep-alive sockets.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How long an idle keep-alive connection stays open. The SDKs reuse idle sockets (ali-oss's agentkeepalive for
 * 15 s, the Tea SDKs' httpx agent without a limit, with NLB job polls up to 5 s apart); Node closes them after
 * 5 s by default, and a request sent on a socket the server is closing fails with ECONNRESET / "socket hang up".
 */
export const IDLE_CONNECTION_MS = 30_000;

export function keepIdleConnections(server: Server): void {
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  // Above keepAliveTimeout, so an idle socket is closed as idle, not as a slow request.
  server.headersTimeout = IDLE_CONNECTION_MS + 1_000;
}

/** Resolves with the bound port; `port` 0 picks a free one. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting and ends every connection, idle keep-alive ones included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The whole body, or `tooLarge()` once it passes `limit` bytes (the rest is drained so an answer can still be sent). */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(tooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Injected delays (fault injection) that a closing server ends at once instead of waiting them out. */
export class PendingDelays {
  private readonly pending = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending.add(done);
    });
  }

  releaseAll(): void {
    for (const release of [...this.pending]) release();
  }
}
