import http from 'node:http';
import https from 'node:https';

/**
 * The gateway's calls to its subgraphs over node:http with keep-alive agents, instead of the global fetch: a profile
 * of the home-screen query (bench/cabinet.js, `node --cpu-prof`) had a third of the gateway's CPU in undici's
 * fetch (WHATWG streams, Request/Response objects) for what is a small JSON POST on a kept-alive socket.
 * The answer is read here, bounded, so nothing downstream streams it again.
 */
export class BufferedResponse {
  readonly ok: boolean;
  constructor(
    readonly status: number,
    private readonly rawHeaders: http.IncomingHttpHeaders,
    /** The body, or null when it was longer than the caller's bound (not read to its end). */
    readonly text: string | null,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  readonly headers = {
    get: (name: string): string | null => {
      const value = this.rawHeaders[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value);
    },
  };

  /** As fetch's Response: the body once (tests and data-source code that call json()/text()). */
  async json(): Promise<unknown> {
    return JSON.parse(this.text ?? '');
  }
}

export interface SubgraphRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  /** Longer answers are cut off (`text` null). */
  maxBytes: number;
}

/** Sockets to subgraphs are few and hot: kept alive, no idle limit below the subgraphs' own keep-alive timeout. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo', timeout: 60_000 }),
  'https:': new https.Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo', timeout: 60_000 }),
};

/** Errors carry the socket's code as `cause.code`, as undici's do: the stale keep-alive retry reads it there. */
function withCause(error: unknown): Error {
  // No instanceof: the abort reason (a DOMException) may come from another realm (jest's vm contexts).
  const err = (typeof error === 'object' && error !== null ? error : new Error(String(error))) as NodeJS.ErrnoException;
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return err;
  return err.code ? Object.assign(new Error(err.message), { cause: { code: err.code, message: err.message } }) : err;
}

export function subgraphRequest(url: string, options: SubgraphRequest): Promise<BufferedResponse> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      // Cut off by the time budget, whatever the socket said about it: a timeout, never a stale connection to retry.
      reject(withCause(options.signal.aborted ? options.signal.reason : error));
    };
    if (options.signal.aborted) {
      fail(options.signal.reason);
      return;
    }
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const request = transport.request(
      target,
      { method: options.method, headers, agent: agents[target.protocol as 'http:' | 'https:'], signal: options.signal },
      (response) => {
        const declared = Number(response.headers['content-length']);
        const tooLarge = () => {
          if (!settled) {
            settled = true;
            resolve(new BufferedResponse(response.statusCode ?? 0, response.headers, null));
          }
          response.destroy();
        };
        if (declared > options.maxBytes) {
          tooLarge();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > options.maxBytes) {
            tooLarge();
            return;
          }
          chunks.push(chunk);
        });
        response.once('end', () => {
          if (settled) return;
          settled = true;
          resolve(new BufferedResponse(response.statusCode ?? 0, response.headers, Buffer.concat(chunks, size).toString('utf8')));
        });
        response.once('error', fail);
        response.once('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      },
    );
    request.once('error', fail);
    request.end(options.body);
  });
}

/**
 * The gateway's per-request savings (this folder), each on by default; bench/cabinet.js turns them off one at a
 * time (BENCH_LEVERS=1) to report what each gave.
 */
export interface PerfLevers {
  /** Subgraph calls over node:http keep-alive agents (else the global fetch). */
  keepAliveClient: boolean;
  /** Verified tokens kept until they expire (revocations still read on every request). */
  tokenCache: boolean;
  /** Request limits measured once per operation text and variables. */
  limitsCache: boolean;
}

export const DEFAULT_PERF_LEVERS: PerfLevers = { keepAliveClient: true, tokenCache: true, limitsCache: true };
