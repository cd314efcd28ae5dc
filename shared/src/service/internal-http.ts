import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { currentRequest } from '../http/request-store';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { ServiceDirectory, ServiceName } from './directory';

export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

/** Guards /internal/* routes: only the platform's own services, holding the shared internal token, get in. */
export function internalTokenMatches(given: string | undefined | null, token: string): boolean {
  const expected = Buffer.from(token);
  const actual = Buffer.from(given ?? '');
  return expected.length > 0 && actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function requireInternalToken(token: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!internalTokenMatches(req.header(INTERNAL_TOKEN_HEADER), token)) {
      res.status(401).json({ error: 'internal API: missing or wrong internal token' });
      return;
    }
    next();
  };
}

/** JSON over HTTP to another service's internal API, with the request id carried along and a timeout. */
export class InternalClient {
  constructor(private readonly directory: ServiceDirectory, private readonly token: string, private readonly timeoutMs = 5000) {}

  async post<T>(service: ServiceName, path: string, body: unknown): Promise<T> {
    return this.request<T>(service, path, { method: 'POST', body: JSON.stringify(body) });
  }

  async get<T>(service: ServiceName, path: string): Promise<T> {
    return this.request<T>(service, path, { method: 'GET' });
  }

  private async request<T>(service: ServiceName, path: string, init: { method: string; body?: string }): Promise<T> {
    const requestId = currentRequest()?.requestId;
    let response: globalThis.Response;
    try {
      response = await fetch(`${this.directory.url(service)}${path}`, {
        ...init,
        headers: {
          'content-type': 'application/json',
          [INTERNAL_TOKEN_HEADER]: this.token,
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch {
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { service } });
    }
    if (!response.ok) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { service, status: response.status } });
    return (await response.json()) as T;
  }
}
