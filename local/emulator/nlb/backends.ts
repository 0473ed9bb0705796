/**
 * The seed's backend servers: plain HTTP servers that answer with their own name ("ECS01", "ECS02"), so a
 * client can see which backend the listener forwarded it to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  host: '127.0.0.1';
  port: number;
  close(): Promise<void>;
}

export async function startBackend(name: string): Promise<Backend> {
  const server: Server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(`${name}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    name,
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
