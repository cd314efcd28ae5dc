import { INTERNAL_TOKEN_HEADER } from '../service/internal-http';

/** A GraphQL answer with its HTTP status. */
export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface GraphQLRequestOptions {
  /** An access token, sent as `authorization: Bearer …`. */
  token?: string | null;
  headers?: Record<string, string>;
  /** Sent as `accept-language`. */
  language?: string;
  /**
   * The internal token to send. Default: the one registered for the URL's service (`registerInternalToken`: the test
   * platforms do it for every subgraph they start), as the gateway sends it; null sends none.
   */
  internalToken?: string | null;
}

/** Internal token by service origin: subgraphs answer GraphQL only to callers holding it (the gateway). */
const internalTokens = new Map<string, string>();

/** Makes `graphql()` call the service at `baseUrl` as the gateway does, with the platform's internal token. */
export function registerInternalToken(baseUrl: string, token: string): void {
  internalTokens.set(new URL(baseUrl).origin, token);
}

export function unregisterInternalToken(baseUrl: string): void {
  internalTokens.delete(new URL(baseUrl).origin);
}

/** A GraphQL request over real HTTP, as a client (or the gateway) sends it. */
export async function graphql<T = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<T>> {
  const internalToken = options.internalToken === undefined ? internalTokens.get(new URL(url).origin) : options.internalToken;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(internalToken ? { [INTERNAL_TOKEN_HEADER]: internalToken } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.language ? { 'accept-language': options.language } : {}),
      ...(options.headers ?? {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as Omit<GraphQLResponse<T>, 'status'>), status: response.status };
}

/** The errors' codes, for assertions. */
export function errorCodes(response: Pick<GraphQLResponse, 'errors'>): string[] {
  return (response.errors ?? []).map((e) => String(e.extensions?.code));
}

/** The first error's code, if any. */
export function errorCode(response: Pick<GraphQLResponse, 'errors'>): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

/** What the gateway sends a subgraph for an entity's fields: `_entities` with representations. */
export function entitiesQuery(typeName: string, selection: string): string {
  return `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typeName} { ${selection} } } }`;
}

export function subscriberRepresentations(ids: string[]): { __typename: string; id: string }[] {
  return ids.map((id) => ({ __typename: 'Subscriber', id }));
}

export interface InternalRequestInit {
  /** Default: POST with a body, else GET. */
  method?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** The internal token to send instead of the platform's; null sends none. */
  token?: string | null;
}

/** A call to a service's internal HTTP API (`/internal/*`, guarded by the internal token). */
export function internalRequest(baseUrl: string, path: string, platformToken: string, init: InternalRequestInit = {}): Promise<Response> {
  const token = init.token === undefined ? platformToken : init.token;
  return fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(token ? { [INTERNAL_TOKEN_HEADER]: token } : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
