import { InternalClient, ServiceDirectory, env, ingestUsage, parseEnv } from '@selfcare/shared';
import { importUsageCsv } from './csv';

/**
 * `npm run usage:import -- file.csv`: streams the file to detailing's POST /internal/usage/ingest in chunks
 * (DETAILING_URL, INTERNAL_API_TOKEN; USAGE_IMPORT_CHUNK records a request, default 1000, at most 5000) and prints each refused
 * row with its line and reason. Exit code 0 when every row was taken, 2 when some were refused.
 */
async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npm run usage:import -- <file.csv>\n');
    return 64;
  }
  const config = parseEnv(
    {
      DETAILING_URL: env.url('http://127.0.0.1:4004'),
      INTERNAL_API_TOKEN: env.secret(24),
      USAGE_IMPORT_CHUNK: env.int(1000, 1),
    },
    process.env,
  );
  const chunkSize = Math.min(config.USAGE_IMPORT_CHUNK, 5000);
  const client = new InternalClient(new ServiceDirectory({ detailing: config.DETAILING_URL }), config.INTERNAL_API_TOKEN, { timeoutMs: 120_000 });
  const result = await importUsageCsv(file, (records) => client.call(ingestUsage, { records }), { chunkSize });
  for (const r of result.rejected) process.stdout.write(`line ${r.line}: ${r.reason}${r.field ? ` (${r.field})` : ''}${r.sourceRef ? ` ${r.sourceRef}` : ''}\n`);
  process.stdout.write(`${result.rows} rows: ${result.accepted} stored, ${result.corrected} corrected, ${result.duplicates} already known, ${result.rejected.length} refused\n`);
  return result.rejected.length ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
