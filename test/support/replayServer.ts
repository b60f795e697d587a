import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A CRM API on loopback for the connector tests: routes answer in the payload shapes the vendor
 * documents (each test defines them over its own dataset), and faults can be queued on a path
 * to answer the next requests there instead: a 429 with Retry-After, a 500, an answer slower
 * than the client's timeout, a body cut short, a reset connection, or any status and body.
 */
export interface ReplayRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface ReplayAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: string | object;
}

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'truncated' }
  | { kind: 'reset' };

type Handler = (request: ReplayRequest) => ReplayAnswer | Promise<ReplayAnswer>;

export class ReplayServer {
  readonly requests: ReplayRequest[] = [];
  private readonly routes: { method: string; path: RegExp; handler: Handler }[] = [];
  private readonly faults: { path: RegExp; fault: Fault }[] = [];
  private server: Server | undefined;
  url = '';

  route(method: string, path: RegExp, handler: Handler): this {
    this.routes.push({ method, path, handler });
    return this;
  }

  /** The next requests to a matching path get these faults, one each, in order. */
  fail(path: RegExp, ...faults: Fault[]): this {
    for (const fault of faults) this.faults.push({ path, fault });
    return this;
  }

  pendingFaults(): number {
    return this.faults.length;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const request: ReplayRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    this.requests.push(request);
    const queued = this.faults.findIndex((f) => f.path.test(url.pathname));
    const fault = queued >= 0 ? this.faults.splice(queued, 1)[0]!.fault : undefined;
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
      res.end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    const route = this.routes.find((r) => r.method === request.method && r.path.test(url.pathname));
    const answer: ReplayAnswer = route
      ? await route.handler(request)
      : { status: 404, body: { error: 'no such route' } };
    const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    if (res.destroyed) return;
    if (fault?.kind === 'truncated') {
      // The length of the whole body, then half of it, then the connection closes.
      res.writeHead(answer.status ?? 200, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(body)),
        ...answer.headers,
      });
      res.write(body.slice(0, Math.floor(body.length / 2)));
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    res.writeHead(answer.status ?? 200, {
      'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
      ...answer.headers,
    });
    res.end(body);
  }
}
