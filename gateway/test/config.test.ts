import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { z } from 'zod';
import { ConfigError, env, formatMinorUnits, parseEnv, platformEnvShape, readPlatformEnv } from '@selfcare/shared';
import { billingEnvShape } from '@selfcare/billing';
import { catalogEnvShape } from '@selfcare/catalog';
import { delegationEnvShape } from '@selfcare/delegation';
import { detailingEnvShape } from '@selfcare/detailing';
import { identityEnvShape } from '@selfcare/identity';
import { allInOneEnvShape, gatewayEnvShape } from '../src';

describe('configuration validated once at start-up', () => {
  it('names the variable and the problem in one line', () => {
    expect(() => parseEnv({ GATEWAY_PORT: env.port(4000) }, { GATEWAY_PORT: 'eighty' })).toThrow(
      new ConfigError('GATEWAY_PORT', 'must be a TCP port (0-65535)'),
    );
    expect(() => parseEnv({ REDIS_URL: env.matching(/^redis:\/\//, 'must be a redis:// URL') }, {})).toThrow('Configuration error: REDIS_URL: is required');
    expect(() => readPlatformEnv({ REDIS_URL: 'redis://r:6379', SMS_CENTRE_URL: 'not a url' })).toThrow(/SMS_CENTRE_URL: must be an absolute URL/);
  });

  it('refuses an empty or non-decimal number instead of reading it as 0 (a random port, a disabled cooldown)', () => {
    for (const value of ['', '  ', '0x10', '1e3', '-1', '80.5']) {
      expect(() => parseEnv({ GATEWAY_PORT: env.port(4000) }, { GATEWAY_PORT: value })).toThrow(new ConfigError('GATEWAY_PORT', 'must be a TCP port (0-65535)'));
    }
    expect(() => parseEnv({ COOLDOWN_SECONDS: env.int(60, 0) }, { COOLDOWN_SECONDS: '' })).toThrow(new ConfigError('COOLDOWN_SECONDS', 'must be a whole number'));
    expect(() => parseEnv({ RELAY_POLL_MS: env.int(500, 10) }, { RELAY_POLL_MS: '5' })).toThrow(new ConfigError('RELAY_POLL_MS', 'must be at least 10'));
    expect(parseEnv({ GATEWAY_PORT: env.port(4000), RELAY_POLL_MS: env.int(500, 10) }, { GATEWAY_PORT: ' 8080 ', RELAY_POLL_MS: '250' })).toEqual({ GATEWAY_PORT: 8080, RELAY_POLL_MS: 250 });
  });

  it('refuses a service address without http:// (it parses as a URL of scheme "localhost:")', () => {
    expect(() => parseEnv({ IDENTITY_URL: env.url() }, { IDENTITY_URL: 'localhost:4001' })).toThrow(new ConfigError('IDENTITY_URL', 'must be an http:// or https:// URL'));
    expect(() => parseEnv({ IDENTITY_URL: env.url() }, { IDENTITY_URL: 'ftp://identity:4001' })).toThrow(new ConfigError('IDENTITY_URL', 'must be an http:// or https:// URL'));
    expect(parseEnv({ IDENTITY_URL: env.url() }, { IDENTITY_URL: 'http://identity:4001' })).toEqual({ IDENTITY_URL: 'http://identity:4001' });
  });

  it('refuses a database URL without a database (sqlite: alone would silently run in memory)', () => {
    expect(() => parseEnv({ CATALOG_DATABASE_URL: env.databaseUrl() }, { CATALOG_DATABASE_URL: 'sqlite:' })).toThrow(/CATALOG_DATABASE_URL: must be a sqlite:<file>/);
    expect(parseEnv({ CATALOG_DATABASE_URL: env.databaseUrl() }, { CATALOG_DATABASE_URL: 'sqlite:./data/catalog.sqlite' })).toEqual({ CATALOG_DATABASE_URL: 'sqlite:./data/catalog.sqlite' });
  });

  it('applies defaults where a variable may be left out', () => {
    expect(parseEnv({ GATEWAY_PORT: env.port(4000), FLAG: env.boolean(false) }, {})).toEqual({ GATEWAY_PORT: 4000, FLAG: false });
  });

  it('stops the process with that single line and exit code 78', () => {
    const entry = join(__dirname, '..', 'dist', 'main.js');
    const result = spawnSync(process.execPath, [entry], {
      env: { PATH: process.env.PATH, GATEWAY_PORT: '4000', REDIS_URL: 'http://not-redis' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe('Configuration error: REDIS_URL: must be a redis:// URL');
  });
});

describe('the README documents the gateway’s and the platform’s settings', () => {
  type Shape = Record<string, z.ZodTypeAny>;
  const SUBGRAPHS = ['IDENTITY', 'CATALOG', 'BILLING', 'DETAILING', 'DELEGATION'];
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'), readme.indexOf('\n## ', readme.indexOf('\n## Configuration\n') + 1));
  // A subgraph process also reads <NAME>_HOST (shared/src/service/process.ts), and identity's port and database like the others.
  const subgraphShape: Shape = {
    ...platformEnvShape,
    ...catalogEnvShape,
    ...billingEnvShape,
    ...detailingEnvShape,
    ...delegationEnvShape,
    IDENTITY_PORT: identityEnvShape.IDENTITY_PORT,
    IDENTITY_DATABASE_URL: identityEnvShape.IDENTITY_DATABASE_URL,
    ...Object.fromEntries(SUBGRAPHS.map((name) => [`${name}_HOST`, allInOneEnvShape.GATEWAY_HOST])),
  };
  const readers: Record<string, Shape> = { gateway: gatewayEnvShape, 'all-in-one': allInOneEnvShape, subgraphs: subgraphShape };

  /** The table's rows that are not identity's alone (identity-units.test.ts keeps those): names, readers, defaults. */
  const rows = (() => {
    let previousReaders = '';
    return section
      .split('\n')
      .filter((line) => /^\| `/.test(line))
      .map((line) => {
        const [names, usedBy, fallback] = line.split(' | ').map((cell) => cell.replace(/^\| /, ''));
        const readersCell = usedBy === '〃' ? previousReaders : usedBy!;
        previousReaders = readersCell;
        const written = [...names!.matchAll(/`([A-Z0-9_<>]+)`/g)].map((m) => m[1]!);
        const expanded = names!.includes('…')
          ? SUBGRAPHS.map((name) => `${name}_${written[0]!.replace(/^[A-Z]+_/, '')}`)
          : written.flatMap((name) => (name.startsWith('<NAME>_') ? SUBGRAPHS.map((subgraph) => name.replace('<NAME>', subgraph)) : [name]));
        return { line, names: expanded, readers: readersCell, defaults: [...fallback!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) };
      })
      .filter((row) => !row.readers.startsWith('identity'));
  })();

  it('has a row for every setting the gateway, the all-in-one launcher and every subgraph process read, and none they do not', () => {
    const read = new Set([...Object.keys(gatewayEnvShape), ...Object.keys(allInOneEnvShape), ...Object.keys(subgraphShape)]);
    expect(rows.flatMap((row) => row.names).sort()).toEqual([...read].sort());
  });

  it('names who reads each setting truly, and the defaults config.ts applies', () => {
    for (const row of rows) {
      for (const [reader, shape] of Object.entries(readers)) {
        if (!new RegExp(`(^|[ ,;])${reader}\\b`).test(row.readers)) continue;
        for (const name of row.names) expect({ name, reader, reads: name in shape }).toEqual({ name, reader, reads: true });
      }
      if (row.defaults.length !== row.names.length) continue;
      row.names.forEach((name, i) => {
        for (const shape of Object.values(readers)) {
          if (!(name in shape)) continue;
          const parsed = shape[name]!.safeParse(undefined);
          const fallback = parsed.success ? parsed.data : undefined;
          if (typeof fallback === 'string' && isAbsolute(fallback)) continue; // SUPERGRAPH_PATH: resolved against the repository
          if (typeof fallback === 'number' && /^\d+\.\d{2}$/.test(row.defaults[i]!)) {
            // an amount of money, documented in tenge and parsed to minor units
            expect({ name, documented: row.defaults[i] }).toEqual({ name, documented: formatMinorUnits(fallback) });
          } else if (typeof fallback === 'number' || typeof fallback === 'string' || typeof fallback === 'boolean') {
            expect({ name, documented: row.defaults[i] }).toEqual({ name, documented: String(fallback) });
          }
        }
      });
    }
  });
});
