/** Internal test helper: serves a fetch handler over real HTTP on loopback, on a free port. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/** A listening server: its base URL (no trailing slash) and how to stop it. */
export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (only loopback: tests never open a public port) with an OS-chosen port.
 * @example const coord = await serveLocal(coordinator.app.fetch); ... await coord.close();
 */
export function serveLocal(
  fetch: (req: Request) => Response | Promise<Response>
): Promise<LocalServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      })
    );
  });
}
