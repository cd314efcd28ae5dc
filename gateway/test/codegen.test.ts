import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ErrorCode } from '@selfcare/shared';

const root = join(__dirname, '..', '..');
const CONFIG = 'examples/front-end/codegen.yml';
const GENERATED = 'examples/front-end/generated/';

/**
 * What front-end teams run (`npm run codegen:example`): GraphQL Code Generator on schema/supergraph.graphql and the
 * example operations. The generated modules must carry the contract's ErrorCode and each operation's result type, and
 * compile in a strict TypeScript project.
 */
describe('typed client generation for front-end teams', () => {
  const out = mkdtempSync(join(tmpdir(), 'selfcare-codegen-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('generates the ErrorCode enum and the example operations’ types, which compile and type a response', () => {
    // The example's config as it is, writing into a temporary folder; the CLI itself runs (an ES module jest cannot load).
    const config = parseYaml(readFileSync(join(root, CONFIG), 'utf8')) as { generates: Record<string, { config?: Record<string, unknown> }> };
    const moved = (path: string) => {
      expect(path.startsWith(GENERATED)).toBe(true);
      return join(out, path.slice(GENERATED.length));
    };
    const generates = Object.fromEntries(
      Object.entries(config.generates).map(([path, output]) => [
        moved(path),
        { ...output, config: { ...output.config, ...(output.config?.importSchemaTypesFrom ? { importSchemaTypesFrom: moved(String(output.config.importSchemaTypesFrom)) } : {}) } },
      ]),
    );
    writeFileSync(join(out, 'codegen.yml'), toYaml({ ...config, generates }));
    const run = spawnSync(process.execPath, [join(root, 'node_modules', '.bin', 'graphql-codegen'), '--config', join(out, 'codegen.yml'), '--silent'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const schema = readFileSync(join(out, 'schema.ts'), 'utf8');
    const enumBody = /export enum ErrorCode \{([^}]*)\}/.exec(schema)?.[1] ?? '';
    // The generator sorts values; the set is the contract's.
    expect([...enumBody.matchAll(/\w+ = '(\w+)'/g)].map((m) => m[1]).sort()).toEqual(Object.values(ErrorCode).sort());
    const operations = readFileSync(join(out, 'operations.ts'), 'utf8');
    expect(operations).toContain('export type LoginMutation = { login: { accessToken: string, refreshToken: string } };');
    expect(operations).toContain('export type MyLineQuery = { me: { msisdn: string | null, tariff:');

    // A front-end's use of the types: a response checked against the query's type, an error code against the enum.
    writeFileSync(
      join(out, 'use.ts'),
      [
        "import { ErrorCode, LedgerEntryKind } from './schema';",
        "import type { MyLineQuery } from './operations';",
        "const line: MyLineQuery = { me: { msisdn: '+77051234567', tariff: null, account: { number: 'KZ-1', balance: { amount: '10.00', currency: 'KZT' },",
        "  entries: { edges: [{ cursor: 'c', node: { at: '2026-01-01T00:00:00Z', kind: LedgerEntryKind.Payment, description: 'x', amount: { amount: '10.00' } } }], pageInfo: { hasNextPage: false, endCursor: null } } } } };",
        'export const forbidden = (code: string): boolean => code === ErrorCode.Forbidden && line.me !== null;',
        '// @ts-expect-error the result type knows its fields: a misspelt one does not compile',
        'export const typo = line.me?.tarif;',
      ].join('\n'),
    );
    const program = ts.createProgram([join(out, 'use.ts')], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: true });
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  }, 60_000);
});
