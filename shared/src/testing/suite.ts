import type { RunningSubgraph, SubgraphDefinition } from '../service/run-subgraph';
import { createTestPlatform, TestPlatform, TestPlatformOptions } from './platform';

/**
 * The test runner's per-suite hooks (jest's globals), typed here so the kit needs no test-framework types and
 * stays buildable with the rest of shared/.
 */
interface SuiteHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
}

function suiteHooks(): SuiteHooks {
  const hooks = globalThis as Partial<SuiteHooks>;
  if (typeof hooks.beforeAll !== 'function' || typeof hooks.afterAll !== 'function') {
    throw new Error('suite fixtures run inside a test runner that provides beforeAll/afterAll');
  }
  return hooks as SuiteHooks;
}

/**
 * Stands for a value that exists only while the suite runs: property reads, writes and method calls go to the
 * current value, so a test names it like a plain variable.
 */
function standIn<T extends object>(current: () => T | undefined, what: string): T {
  const value = (): T => {
    const started = current();
    if (!started) throw new Error(`${what} exists only while the suite's tests run (started in beforeAll, stopped in afterAll)`);
    return started;
  };
  return new Proxy({} as T, {
    get(_, property) {
      const target = value();
      const member = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
    set: (_, property, newValue) => Reflect.set(value(), property, newValue),
    has: (_, property) => Reflect.has(value(), property),
  });
}

/**
 * Starts a fixture before the enclosing suite's tests (the file, or the `describe` it is called in) and stops it
 * after them: `const h = suiteFixture(() => IdentityHarness.start());` instead of a `let` and a pair of hooks.
 */
export function suiteFixture<T extends { stop(): Promise<void> }>(start: () => Promise<T>): T {
  const { beforeAll, afterAll } = suiteHooks();
  let fixture: T | undefined;
  beforeAll(async () => {
    fixture = await start();
  });
  afterAll(async () => {
    const started = fixture;
    fixture = undefined;
    await started?.stop();
  });
  return standIn(() => fixture, 'the suite fixture');
}

export type SuitePlatform<S> = { t: TestPlatform } & { [name in keyof S]: RunningSubgraph };

/**
 * A test platform with these subgraphs running (started in the given order, each on a fresh database) for the
 * enclosing suite: `const { t, delegation, catalog } = platformForSuite({ delegation: createDelegationSubgraph,
 * catalog: createCatalogSubgraph }, { standInIdentity: true });`
 */
export function platformForSuite<S extends Record<string, () => SubgraphDefinition>>(subgraphs: S, options: TestPlatformOptions = {}): SuitePlatform<S> {
  const { beforeAll, afterAll } = suiteHooks();
  let platform: TestPlatform | undefined;
  const running = new Map<string, RunningSubgraph>();
  beforeAll(async () => {
    platform = await createTestPlatform(options);
    for (const [name, definition] of Object.entries(subgraphs)) running.set(name, await platform.start(definition()));
  });
  afterAll(async () => {
    const started = platform;
    platform = undefined;
    running.clear();
    await started?.stop();
  });
  const suite: Record<string, object> = { t: standIn(() => platform, 'the test platform') };
  for (const name of Object.keys(subgraphs)) suite[name] = standIn(() => running.get(name), `the ${name} subgraph`);
  return suite as SuitePlatform<S>;
}
