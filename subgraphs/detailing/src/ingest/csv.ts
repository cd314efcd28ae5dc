import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, Transform } from 'node:stream';
import type { UsageRejectionReason } from '@selfcare/shared';
import type { IngestOutcome } from './ingest-service';
import { amountToMinor } from './wire';

/** The CSV file's columns (a header row names them, in any order; only source_ref, line, kind, started_at are required). */
const COLUMNS: Record<string, string> = {
  source_ref: 'sourceRef',
  revision: 'revision',
  line: 'line',
  kind: 'kind',
  started_at: 'startedAt',
  direction: 'direction',
  counterparty: 'counterparty',
  seconds: 'seconds',
  bytes: 'bytes',
  roaming: 'roaming',
  roaming_country: 'roamingCountry',
  app: 'app',
  amount: 'amountMinor',
  description: 'description',
};
const REQUIRED = ['source_ref', 'line', 'kind', 'started_at'];
/** Longest line parsed; a longer one is refused (no record needs more). */
const MAX_LINE = 4096;
/** Longest run without a line break the import reads at all: a file without line breaks is not read whole. */
const MAX_RUN = 65_536;

/** Passes the text on, failing once a line runs past MAX_RUN characters (readline would buffer it whole). */
function lineLengthGuard(): Transform {
  let run = 0;
  return new Transform({
    decodeStrings: false,
    transform(chunk: string | Buffer, _encoding, done) {
      const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const last = text.lastIndexOf('\n');
      run = last === -1 ? run + text.length : text.length - last - 1;
      if (run > MAX_RUN) return done(new Error(`a line of the file is longer than ${MAX_RUN} characters: not a usage CSV`));
      done(null, text);
    },
  });
}

export interface CsvRejection {
  /** the file's line, 1 = the header */
  line: number;
  sourceRef: string | null;
  reason: UsageRejectionReason;
  field: string | null;
}

export interface CsvImportResult {
  rows: number;
  accepted: number;
  corrected: number;
  duplicates: number;
  rejected: CsvRejection[];
}

/** One CSV line (RFC 4180 without line breaks inside quotes): the cells, or null when it is malformed. */
export function parseCsvLine(text: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let cell = '';
      i += 1;
      for (;;) {
        if (i >= text.length) return null;
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        cell += text[i];
        i += 1;
      }
      cells.push(cell);
      if (i === text.length) return cells;
      if (text[i] !== ',') return null;
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      const cell = comma === -1 ? text.slice(i) : text.slice(i, comma);
      if (cell.includes('"')) return null;
      cells.push(cell);
      if (comma === -1) return cells;
      i = comma + 1;
    }
  }
}

/**
 * Imports a CSV file of usage records, streamed line by line (never read whole), in chunks of `chunkSize` sent with
 * `send` (POST /internal/usage/ingest, or the service itself). Bad rows — malformed lines and records the service
 * refuses — are reported with their line in the file and the reason; the good rows around them are kept.
 */
export async function importUsageCsv(
  source: string | Readable,
  send: (records: Record<string, unknown>[]) => Promise<IngestOutcome>,
  options: { chunkSize?: number } = {},
): Promise<CsvImportResult> {
  const chunkSize = options.chunkSize ?? 1000;
  const raw = typeof source === 'string' ? createReadStream(source, { encoding: 'utf8' }) : source;
  const input = raw.pipe(lineLengthGuard());
  raw.once('error', (error: Error) => input.destroy(error));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const result: CsvImportResult = { rows: 0, accepted: 0, corrected: 0, duplicates: 0, rejected: [] };
  let header: string[] | null = null;
  let chunk: { line: number; record: Record<string, unknown> }[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    const sent = chunk;
    chunk = [];
    const outcome = await send(sent.map((c) => c.record));
    result.accepted += outcome.accepted;
    result.corrected += outcome.corrected;
    result.duplicates += outcome.duplicates;
    for (const r of outcome.rejected) result.rejected.push({ line: sent[r.index]!.line, sourceRef: r.sourceRef, reason: r.reason, field: r.field });
  };
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber += 1;
    const text = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    if (!header) {
      const cells = parseCsvLine(text);
      const names = cells?.map((c) => c.trim().toLowerCase()) ?? [];
      const unknown = names.find((n) => !(n in COLUMNS));
      const missing = REQUIRED.find((n) => !names.includes(n));
      if (!cells || unknown !== undefined || missing !== undefined || new Set(names).size !== names.length) {
        throw new Error(`line 1: the header must name the columns ${Object.keys(COLUMNS).join(',')} (${missing ? `missing ${missing}` : unknown ? `unknown column ${unknown.slice(0, 40)}` : 'each once'})`);
      }
      header = names;
      continue;
    }
    result.rows += 1;
    const cells = text.length > MAX_LINE ? null : parseCsvLine(text);
    if (!cells || cells.length !== header.length) {
      result.rejected.push({ line: lineNumber, sourceRef: null, reason: 'INVALID', field: 'row' });
      continue;
    }
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const value = cells[i]!;
      if (name === 'amount') record.amountMinor = value === '' ? null : (amountToMinor(value) ?? 'invalid');
      else record[COLUMNS[name]!] = value;
    });
    chunk.push({ line: lineNumber, record });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  return result;
}
