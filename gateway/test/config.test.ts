import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, env, parseEnv, readPlatformEnv } from '@selfcare/shared';

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
