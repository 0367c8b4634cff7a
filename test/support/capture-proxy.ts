import { createServer, type IncomingMessage, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

export interface CapturedExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  /** The body as it crossed the wire (gzip bytes when the node compressed it). */
  requestBody: Buffer;
  /** The body before compression: what a canary must search. */
  requestText: string;
  status: number;
  responseBody: Buffer;
}

/**
 * A loopback HTTP proxy that forwards everything to `target` and keeps every byte both ways:
 * put one between each node and the coordinator and you hold all that left the node.
 */
export class CaptureProxy {
  readonly exchanges: CapturedExchange[] = [];
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: () => string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.forward(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        () => {
          res.writeHead(502);
          res.end();
        }
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  private async forward(
    req: IncomingMessage
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const requestBody = Buffer.concat(chunks);
    const requestHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string') requestHeaders[k] = v;
    const { host: _host, connection: _c, 'content-length': _l, ...forwardHeaders } = requestHeaders;
    const res = await fetch(new URL(req.url ?? '/', this.target()), {
      method: req.method,
      headers: forwardHeaders,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : requestBody,
    });
    const responseBody = Buffer.from(await res.arrayBuffer());
    this.exchanges.push({
      method: req.method ?? '',
      url: req.url ?? '',
      requestHeaders,
      requestBody,
      requestText: (requestHeaders['content-encoding'] === 'gzip'
        ? gunzipSync(requestBody)
        : requestBody
      ).toString('utf8'),
      status: res.status,
      responseBody,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding')
        headers[k] = v;
    });
    return { status: res.status, headers, body: responseBody };
  }

  /** Everything the node sent: URLs, headers and bodies (inflated), as one searchable text. */
  sentText(): string {
    return this.exchanges
      .map((e) => `${e.method} ${e.url}\n${JSON.stringify(e.requestHeaders)}\n${e.requestText}`)
      .join('\n');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve()
    );
  }
}
