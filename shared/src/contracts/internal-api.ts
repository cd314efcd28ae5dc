import type { z } from 'zod';
import type { ServiceName } from '../service/directory';

/**
 * One route of a service's internal HTTP API (`/internal/*`, guarded by the internal token): the caller
 * (`InternalClient.call`) and the route (`serveInternal`) share the request and response schemas, so a change
 * to either side fails to compile instead of failing in production.
 */
export interface InternalRoute<
  S extends ServiceName = ServiceName,
  Req extends z.ZodTypeAny = z.ZodTypeAny,
  Res extends z.ZodTypeAny = z.ZodTypeAny,
> {
  /** The service that serves it. */
  readonly service: S;
  /** GET takes the request as query parameters (strings), POST as a JSON body. */
  readonly method: 'GET' | 'POST';
  readonly path: `/internal/${string}`;
  readonly request: Req;
  readonly response: Res;
  /** The status of a success, 200 unless the route creates something (201). */
  readonly successStatus?: 200 | 201;
  /** Largest request body, default 100kb. */
  readonly bodyLimit?: string;
}

export function defineInternalRoute<S extends ServiceName, Req extends z.ZodTypeAny, Res extends z.ZodTypeAny>(
  route: InternalRoute<S, Req, Res>,
): InternalRoute<S, Req, Res> {
  return Object.freeze({ ...route });
}

export type InternalRequest<R extends InternalRoute> = z.input<R['request']>;
export type InternalResponse<R extends InternalRoute> = z.output<R['response']>;
