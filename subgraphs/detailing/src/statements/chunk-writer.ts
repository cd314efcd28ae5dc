import type { Database } from '@selfcare/shared';
import { StatementChunkEntity } from './entities';

/** The size of one stored piece of a file. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Collects a renderer's output and stores it in CHUNK_BYTES pieces, one INSERT each, in order. `add` never waits;
 * the renderer awaits `drained()` between pages, so at most about one page of output and one chunk are held.
 */
export class ChunkWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  bytes = 0;

  constructor(
    private readonly database: Database,
    private readonly statementId: string,
    /** Runs after each stored chunk (the runner renews its lease there). */
    private readonly onChunk: () => Promise<void> = async () => undefined,
  ) {}

  add(data: Buffer | string): void {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.pending.push(buffer);
    this.pendingBytes += buffer.length;
    this.bytes += buffer.length;
    while (this.pendingBytes >= CHUNK_BYTES) this.store(CHUNK_BYTES);
  }

  /** Resolves once everything handed over in full chunks is stored; throws what storing threw. */
  async drained(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  /** Stores the rest and waits for every chunk. */
  async finish(): Promise<number> {
    if (this.pendingBytes > 0) this.store(this.pendingBytes);
    await this.drained();
    return this.bytes;
  }

  private store(size: number): void {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    const piece = all.subarray(0, size);
    const rest = all.subarray(size);
    this.pending = rest.length ? [Buffer.from(rest)] : [];
    this.pendingBytes = rest.length;
    const seq = this.seq++;
    const data = Buffer.from(piece);
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.database.transaction((manager) => manager.insert(StatementChunkEntity, { statementId: this.statementId, seq, data }));
        await this.onChunk();
      } catch (error) {
        this.failure = error;
      }
    });
  }
}
