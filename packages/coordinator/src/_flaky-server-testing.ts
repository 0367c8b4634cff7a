import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Test helper: an HTTP server on loopback that drops connections, for the clients' retry tests. */
let server: Server | undefined;

/** A server on 127.0.0.1 that drops the first `drops` connections, then answers `body`. */
export async function flaky(
  drops: number,
  body: unknown
): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  server = createServer((req, res) => {
    seen += 1;
    if (seen <= drops) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen: () => seen };
}

/** afterEach hook: closes the server `flaky` started, if any. */
export function closeFlakyServer(): Promise<void> {
  return new Promise<void>((r) => (server ? server.close(() => r()) : r()));
}
