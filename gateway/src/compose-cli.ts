import { relative } from 'node:path';
import { CompositionFailed, composeFromSubgraphs, staleSchemaFiles, writeSchemaFiles } from './compose';

/** `npm run compose` writes schema/*.graphql; `npm run compose:check` fails when they are out of date. */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const output = await composeFromSubgraphs();
  for (const hint of output.hints) process.stderr.write(`hint: ${hint}\n`);
  if (check) {
    const stale = staleSchemaFiles(output);
    if (stale.length) {
      process.stderr.write(`schema files out of date (run \`npm run compose\`): ${stale.map((p) => relative(process.cwd(), p)).join(', ')}\n`);
      process.exit(1);
    }
    process.stdout.write('supergraph composes and schema/ is up to date\n');
    return;
  }
  const written = writeSchemaFiles(output);
  process.stdout.write(`wrote ${written.map((p) => relative(process.cwd(), p)).join(', ')}\n`);
}

main()
  .then(() => process.exit(0))
  .catch((error) => {
    process.stderr.write(`${error instanceof CompositionFailed ? error.message : error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
