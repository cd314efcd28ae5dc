import { randomFillSync } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An id identity (or any service) hands out: a UUID. Events whose contract requires one (ActivityRecorded,
 * SubscriberNotificationRequested…) are written only for such ids, so a test's or a stand-in's other id is no one.
 */
export function isUuid(value: string | null | undefined): boolean {
  return typeof value === 'string' && UUID.test(value);
}

let lastMs = 0;
let sequence = 0;
/** Random bytes drawn 4 KiB at a time: one system call per ~400 ids instead of one per id (it showed in profiles). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
function randomSlice(size: number): Buffer {
  if (poolAt + size > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += size;
  return pool.subarray(poolAt - size, poolAt);
}

/**
 * A UUID version 7 (RFC 9562): the millisecond first, then a sequence within the millisecond, then random bits, so
 * ids handed out later sort later in this process. Rows keyed by them go to the end of the table's clustered index
 * instead of random pages all over it (InnoDB keys rows by primary key; measured on detailing's usage records with
 * bench/detailing.js).
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    sequence = randomSlice(2).readUInt16BE(0) & 0x3ff;
  } else if (++sequence > 0xfff) {
    lastMs += 1;
    sequence = 0;
  }
  const bytes = Buffer.from(randomSlice(16));
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
