import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { env, generateSigningKeyPem, parseEnv, readPlatformEnv } from '@selfcare/shared';
import { loadGatewayConfig } from '@selfcare/gateway';
import { loadIdentityConfig } from '@selfcare/identity';
import { loadCatalogConfig } from '@selfcare/catalog';
import { loadBillingConfig } from '@selfcare/billing';
import { loadDetailingConfig } from '@selfcare/detailing';
import { loadDelegationConfig } from '@selfcare/delegation';

/**
 * No Docker engine runs here, so docker-compose.yml is checked by parsing it: every service the distributed
 * mode needs is there, health-checked, wired to what exists, and its environment passes the services' own
 * start-up validation.
 */
const root = join(__dirname, '..', '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, any>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const envHost = () => env.host('127.0.0.1');
const subgraphs = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];
const appServices = [...subgraphs, 'gateway'];

/** Resolves compose's ${VAR:-default} / ${VAR:?message} the way `docker compose` would with an empty shell. */
function interpolate(value: unknown, shell: Record<string, string> = {}): string {
  return String(value).replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (shell[name] !== undefined && shell[name] !== '') return shell[name]!;
    if (op === '-') return arg ?? '';
    if (op === '?') throw new Error(`compose would stop: ${name}: ${arg}`);
    return '';
  });
}

function environmentOf(service: string, shell: Record<string, string> = {}): Record<string, string> {
  const env = services[service].environment ?? {};
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v, shell)]));
}

describe('docker-compose.yml (distributed mode)', () => {
  it('runs MySQL 8, Redis, Mailpit, the SMS centre, the migration job, the gateway and every subgraph', () => {
    expect(services.mysql.image).toMatch(/^mysql:8/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.mailpit.image).toMatch(/^axllent\/mailpit/);
    for (const name of [...appServices, 'sms-centre', 'migrate']) expect(services[name]).toBeDefined();
  });

  it('health-checks every long-running service and waits on health, not on start', () => {
    for (const name of [...appServices, 'mysql', 'redis', 'sms-centre']) {
      expect(services[name].healthcheck?.test).toBeDefined();
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, condition] of Object.entries<any>(service.depends_on ?? {})) {
        expect(services[dependency]).toBeDefined();
        if (condition.condition === 'service_healthy') expect(services[dependency].healthcheck).toBeDefined();
        if (dependency === 'migrate') expect(condition.condition).toBe('service_completed_successfully');
      }
      if (appServices.includes(name)) expect(Object.keys(service.depends_on ?? {}).length).toBeGreaterThan(0);
    }
  });

  it('starts each service from a built entry point that exists in the source tree', () => {
    for (const [name, service] of Object.entries(services)) {
      const command: string[] | undefined = service.command;
      if (!command || command[0] !== 'node') continue;
      const source = command[1]!.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
      expect({ name, exists: existsSync(join(root, source)) }).toEqual({ name, exists: true });
    }
    expect(existsSync(join(root, 'Dockerfile'))).toBe(true);
  });

  it('gives every subgraph one database of its own and the settings its start-up validation requires', () => {
    const shell = { IDENTITY_JWT_PRIVATE_KEY: generateSigningKeyPem() };
    const loaders: Record<string, (env: NodeJS.ProcessEnv) => unknown> = {
      identity: loadIdentityConfig,
      catalog: loadCatalogConfig,
      billing: loadBillingConfig,
      detailing: loadDetailingConfig,
      delegation: loadDelegationConfig,
    };
    const databases = new Set<string>();
    for (const name of subgraphs) {
      const env = environmentOf(name, shell);
      expect(() => readPlatformEnv(env)).not.toThrow();
      expect(() => loaders[name]!(env)).not.toThrow();
      const url = env[`${name.toUpperCase()}_DATABASE_URL`];
      expect(url).toMatch(new RegExp(`^mysql://.+@mysql:3306/${name}$`));
      databases.add(url!);
      expect(env[`${name.toUpperCase()}_PORT`]).toBeDefined();
      // Subgraphs listen on loopback unless told; in compose the gateway reaches them over the network.
      expect(parseEnv({ HOST: envHost() }, { HOST: env[`${name.toUpperCase()}_HOST`] })).toEqual({ HOST: '0.0.0.0' });
      expect(services[name].ports).toBeUndefined();
    }
    expect(databases.size).toBe(subgraphs.length);
    expect(() => environmentOf('identity')).toThrow(/IDENTITY_JWT_PRIVATE_KEY/);
  });

  it('runs the sandbox card provider, and billing calls it with the secret that signs its webhooks to the gateway', () => {
    const provider = environmentOf('card-provider');
    const billing = environmentOf('billing');
    expect(services['card-provider'].healthcheck?.test).toBeDefined();
    expect(services.billing.depends_on['card-provider']).toEqual({ condition: 'service_healthy' });
    expect(billing.PAYMENT_PROVIDER_URL).toBe(`http://card-provider:${provider.CARD_PROVIDER_PORT}`);
    expect(billing.PAYMENT_PROVIDER_SECRET).toBe(provider.PAYMENT_PROVIDER_SECRET);
    expect(provider.WEBHOOK_URL).toBe('http://gateway:4000/payments/webhook');
  });

  it('points the gateway at each subgraph by its service name and publishes port 4000', () => {
    const env = environmentOf('gateway');
    for (const name of subgraphs) {
      const port = environmentOf(name, { IDENTITY_JWT_PRIVATE_KEY: 'pem' })[`${name.toUpperCase()}_PORT`];
      expect(env[`${name.toUpperCase()}_URL`]).toBe(`http://${name}:${port}`);
    }
    expect(services.gateway.ports).toContain('4000:4000');
  });

  it("passes the gateway's own start-up validation, limits, time budget and proxy settings included", () => {
    const config = loadGatewayConfig(environmentOf('gateway'));
    expect(config).toMatchObject({ GATEWAY_HOST: '0.0.0.0', TRUST_PROXY: false, CORS_ORIGINS: [], GRAPHQL_MAX_DEPTH: 10, OPERATION_TIMEOUT_MS: 15_000 });
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(loadGatewayConfig(environmentOf('gateway', { TRUST_PROXY: '10.0.0.0/8', METRICS_TOKEN: 'prometheus-scrape-token-0123' }))).toMatchObject({
      TRUST_PROXY: ['10.0.0.0/8'],
      METRICS_TOKEN: 'prometheus-scrape-token-0123',
    });
  });
});
