import { timingSafeEqual } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { z } from 'zod';
import { currentLanguage, currentRequest } from '../http/request-store';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import type { Logger } from '../logging/logger';
import type { InternalRequest, InternalResponse, InternalRoute } from '../contracts/internal-api';
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

export interface InternalClientOptions {
  timeoutMs?: number;
  /** Where answers that break their route's contract are reported. */
  logger?: Logger;
}

/** JSON over HTTP to another service's internal API, with the request id carried along and a timeout. */
export class InternalClient {
  private readonly timeoutMs: number;

  constructor(
    private readonly directory: ServiceDirectory,
    private readonly token: string,
    private readonly options: InternalClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Calls a route of a contract (shared/src/contracts): the request must fit the route's request schema (a
   * caller's bug otherwise, thrown before anything is sent), the answer is parsed with its response schema.
   * Unreachable, refusing or answering out of contract: SERVICE_UNAVAILABLE.
   */
  async call<R extends InternalRoute>(route: R, input: InternalRequest<R>): Promise<InternalResponse<R>> {
    const request = route.request.safeParse(input);
    if (!request.success) throw new Error(`request to ${route.service} ${route.path} breaks its contract: ${request.error.message}`);
    const answer =
      route.method === 'GET'
        ? await this.request(route.service, `${route.path}?${new URLSearchParams(request.data as Record<string, string>).toString()}`, { method: 'GET' })
        : await this.request(route.service, route.path, { method: 'POST', body: JSON.stringify(request.data) });
    const response = route.response.safeParse(answer);
    if (!response.success) {
      this.options.logger?.error({ service: route.service, path: route.path, issues: response.error.issues }, 'internal API answered out of contract');
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { service: route.service } });
    }
    return response.data;
  }

  private async request(service: ServiceName, path: string, init: { method: string; body?: string }): Promise<unknown> {
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
    try {
      return await response.json();
    } catch {
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, { extensions: { service } });
    }
  }
}

/** HTTP status of a refusal an internal route reports with a contract code. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.CONFLICT]: 409,
  [ErrorCode.CONSENT_REQUIRED]: 409,
};

/** The body of a refused internal request: `{ error: { code, message, field? } }`. */
function refuse(res: Response, code: ErrorCode, message: string, field?: string): void {
  res.status(STATUS[code] ?? 400).json({ error: { code, message, ...(field ? { field } : {}) } });
}

/**
 * Serves a route of a contract behind the internal token: the request (JSON body, or query for GET) is parsed
 * with the route's schema — 400 BAD_USER_INPUT naming the field otherwise — and the handler's answer is typed by
 * the response schema. A DomainError from the handler answers with its code and status; anything else goes to
 * the service's error handler (500, no details).
 */
export function serveInternal<R extends InternalRoute>(
  app: Express,
  internalToken: string,
  route: R,
  handler: (input: z.output<R['request']>, req: Request) => Promise<z.input<R['response']>>,
): void {
  const parse = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const parsed = route.request.safeParse(route.method === 'GET' ? req.query : (req.body ?? {}));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.length ? String(issue.path[0]) : undefined;
        refuse(res, ErrorCode.BAD_USER_INPUT, `${issue.path.join('.') || 'body'}: ${issue.message}`, field);
        return;
      }
      const answer = await handler(parsed.data, req);
      res.status(route.successStatus ?? 200).json(answer);
    } catch (error) {
      if (error instanceof DomainError) refuse(res, error.code, error.localizedMessage(currentLanguage()), error.options.field);
      else next(error);
    }
  };
  if (route.method === 'GET') app.get(route.path, requireInternalToken(internalToken), parse);
  else app.post(route.path, requireInternalToken(internalToken), express.json({ limit: route.bodyLimit ?? '100kb' }), parse);
}
