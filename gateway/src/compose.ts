import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { INTERNAL_TOKEN_HEADER } from '@selfcare/shared';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, repositoryRoot, startSystem } from './system';
import type { SubgraphName } from './gateway-server';

export interface SubgraphSdl {
  name: SubgraphName;
  url: string;
  sdl: string;
}

export interface CompositionOutput {
  supergraphSdl: string;
  subgraphs: SubgraphSdl[];
  hints: string[];
}

export class CompositionFailed extends Error {
  constructor(readonly errors: string[]) {
    super(`supergraph composition failed:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  }
}

/** The URL written into the supergraph: the distributed mode's default address of each subgraph. */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`;
}

/** Reads each subgraph's SDL as the gateway's composition sees it: `{ _service { sdl } }` over HTTP, as a platform caller. */
async function fetchSdl(graphqlUrl: string, internalToken: string): Promise<string> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: internalToken },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service?: { sdl?: string } }; errors?: unknown };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new Error(`no SDL from ${graphqlUrl}: ${JSON.stringify(body.errors ?? body)}`);
  return sdl;
}

/**
 * Hints that describe the design, not a mistake: ErrorCode types `extensions.code`, so no field uses it, and every
 * subgraph carries the same definition (shared/src/graphql/build-subgraph.ts).
 */
function expectedHint(hint: { definition: { code: string }; message: string }): boolean {
  return hint.definition.code === 'UNUSED_ENUM_TYPE' && hint.message.includes('"ErrorCode"');
}

/** Starts every subgraph on throw-away SQLite databases, reads their SDL, composes with @apollo/composition. */
export async function composeFromSubgraphs(): Promise<CompositionOutput> {
  const dataDir = mkdtempSync(join(tmpdir(), 'selfcare-compose-'));
  const system = await startSystem({
    withoutGateway: true,
    dataDir,
    seedDemoData: false,
    subgraphPorts: Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, 0])),
    host: '127.0.0.1',
    logLevel: 'warn',
  });
  try {
    const subgraphs: SubgraphSdl[] = [];
    for (const name of SUBGRAPH_NAMES) {
      subgraphs.push({ name, url: defaultSubgraphUrl(name), sdl: await fetchSdl(system.subgraphs[name].graphqlUrl, system.platform.internalToken) });
    }
    const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
    if (result.errors?.length) throw new CompositionFailed(result.errors.map((e) => e.message));
    return {
      supergraphSdl: result.supergraphSdl!,
      subgraphs,
      hints: (result.hints ?? []).filter((h) => !expectedHint(h)).map((h) => h.toString()),
    };
  } finally {
    await system.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function schemaFiles(output: CompositionOutput, dir = join(repositoryRoot(), 'schema')): Record<string, string> {
  const files: Record<string, string> = { [join(dir, 'supergraph.graphql')]: `${output.supergraphSdl.trim()}\n` };
  for (const s of output.subgraphs) files[join(dir, `${s.name}.graphql`)] = `${s.sdl.trim()}\n`;
  return files;
}

/** The checked-in files that differ from a fresh composition (empty when in step). */
export function staleSchemaFiles(output: CompositionOutput, dir?: string): string[] {
  return Object.entries(schemaFiles(output, dir))
    .filter(([path, content]) => !existsSync(path) || readFileSync(path, 'utf8') !== content)
    .map(([path]) => path);
}

export function writeSchemaFiles(output: CompositionOutput, dir?: string): string[] {
  const files = schemaFiles(output, dir);
  for (const [path, content] of Object.entries(files)) writeFileSync(path, content);
  return Object.keys(files);
}
