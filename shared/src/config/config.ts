import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Environment validated once at start-up. A bad or missing value stops the process with one line
 * that names the variable, e.g. `Configuration error: IDENTITY_DATABASE_URL: must be a sqlite:, mysql: or mariadb: URL`.
 */
export class ConfigError extends Error {
  constructor(readonly variable: string, readonly problem: string) {
    super(`Configuration error: ${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Start-up found something it cannot run with (not the environment): one line saying what and how to fix it. */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

export function parseEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.infer<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const problem = issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required' : issue.message;
    throw new ConfigError(variable, problem);
  }
  return result.data;
}

/** Runs a start-up function; a ConfigError ends the process with its single line and exit code 78 (EX_CONFIG). */
export async function startOrExit(main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    if (error instanceof StartupError) {
      process.stderr.write(`Start-up failed: ${error.message}\n`);
      process.exit(1);
    }
    const failure = error as NodeJS.ErrnoException & { port?: number };
    if (failure?.code === 'EADDRINUSE') {
      process.stderr.write(`Start-up failed: port ${failure.port ?? ''} is already in use; stop what listens there or choose another port (see README, Configuration)\n`);
      process.exit(1);
    }
    process.stderr.write(`Start-up failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  }
}

type Out<T> = z.ZodType<T, z.ZodTypeDef, unknown>;

function withDefault<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, fallback: T | undefined): Out<T> {
  return fallback === undefined ? schema : (schema.default(fallback as never) as unknown as Out<T>);
}

/**
 * Environment values are strings: only digits make a number. `z.coerce.number` read '' and '  ' as 0, so an empty
 * `GATEWAY_PORT=` meant "any free port" and an empty cooldown meant none, without a word.
 */
const digitsOnly = (value: unknown): unknown => (typeof value === 'string' ? (/^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN) : value);

/** Service addresses are fetched: `localhost:4001` (no scheme) parses as a URL of scheme "localhost:" and failed only at the first call. */
const httpUrl = () => z.string().url('must be an absolute URL').regex(/^https?:\/\/[^/?#]/i, 'must be an http:// or https:// URL');

/** Express's `trust proxy`: false (believe no X-Forwarded-For), a number of proxy hops, or proxy addresses/subnets. */
export type TrustProxySetting = false | number | string[];

const trustedNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(entry: string): boolean {
  if (trustedNames.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const trustProxyMessage = 'must be false, a number of proxy hops (1), or addresses/subnets of the proxies (10.0.0.0/8,loopback); true would believe any X-Forwarded-For';

const originPattern = /^https?:\/\/[^/?#\s*]+$/i;

export const env = {
  port: (fallback?: number): Out<number> =>
    withDefault(
      z.preprocess(digitsOnly, z.number({ message: 'must be a TCP port (0-65535)' }).int('must be a TCP port (0-65535)').min(0, 'must be a TCP port (0-65535)').max(65535, 'must be a TCP port (0-65535)')) as Out<number>,
      fallback,
    ),
  url: (fallback?: string): Out<string> => withDefault(httpUrl(), fallback),
  databaseUrl: (fallback?: string): Out<string> =>
    withDefault(z.string().regex(/^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)/, 'must be a sqlite:<file>, mysql:// or mariadb:// URL'), fallback),
  secret: (minLength = 16, fallback?: string): Out<string> => withDefault(z.string().min(minLength, `must be at least ${minLength} characters`), fallback),
  nodeEnv: (): Out<'development' | 'production' | 'test'> => z.enum(['development', 'production', 'test']).default('development'),
  boolean: (fallback: boolean): Out<boolean> =>
    z
      .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  int: (fallback: number, min = 0): Out<number> =>
    z.preprocess(digitsOnly, z.number({ message: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`)).default(fallback) as Out<number>,
  string: (fallback?: string): Out<string> => withDefault(z.string().min(1, 'is required'), fallback),
  /** A string matching `pattern`, e.g. redis:// URLs. */
  matching: (pattern: RegExp, message: string, fallback?: string): Out<string> => withDefault(z.string().regex(pattern, message), fallback),
  optionalString: (): Out<string | undefined> => z.string().optional(),
  /** A secret that may be left out; empty counts as left out (compose's `${VAR:-}`). */
  optionalSecret: (minLength = 16): Out<string | undefined> =>
    z.preprocess((value) => (value === '' ? undefined : value), z.string().min(minLength, `must be at least ${minLength} characters`).optional()) as Out<string | undefined>,
  /** An interface address to listen on: an IP address or a host name. */
  host: (fallback: string): Out<string> =>
    withDefault(
      z.string().refine((value) => isIP(value) !== 0 || /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/.test(value), 'must be an IP address or a host name, e.g. 127.0.0.1 or 0.0.0.0'),
      fallback,
    ),
  /** TRUST_PROXY: which proxies in front of the service may name the client in X-Forwarded-For. */
  trustProxy: (): Out<TrustProxySetting> =>
    z
      .string()
      .default('false')
      .transform((value, ctx): TrustProxySetting => {
        const text = value.trim();
        if (text === '' || text === 'false' || text === '0') return false;
        if (/^\d+$/.test(text)) return Number(text);
        const entries = text.split(',').map((e) => e.trim());
        if (entries.every(isAddressOrSubnet)) return entries;
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: trustProxyMessage });
        return z.NEVER;
      }) as unknown as Out<TrustProxySetting>,
  /** A comma-separated list of browser origins (scheme://host[:port]); empty by default. */
  origins: (): Out<string[]> =>
    z
      .string()
      .default('')
      .transform((value, ctx): string[] => {
        const origins = value.split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean);
        const bad = origins.find((o) => !originPattern.test(o));
        if (bad !== undefined) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must list origins like https://cabinet.beeline.kz (scheme and host, no path or *), not "${bad.slice(0, 80)}"` });
          return z.NEVER;
        }
        return origins;
      }) as unknown as Out<string[]>,
};
