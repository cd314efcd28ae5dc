import { isUuid, timeOrderedUuid } from '../src';

describe('timeOrderedUuid (RFC 9562 version 7)', () => {
  it('hands out valid, unique UUIDs that sort in the order they were handed out, also within one millisecond', () => {
    const at = Date.parse('2026-12-04T19:00:00.000Z');
    const ids = [...Array.from({ length: 5_000 }, () => timeOrderedUuid(at)), ...Array.from({ length: 5_000 }, (_, i) => timeOrderedUuid(at + 1 + Math.floor(i / 100)))];
    expect(ids.every(isUuid)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
    expect(ids.every((id) => id[14] === '7' && '89ab'.includes(id[19]!))).toBe(true);
    // The first 48 bits are the millisecond (a burst past 4,096 ids in one millisecond borrows the next ones).
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    expect(parseInt(ids[9_999]!.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(at + 50);
    // An earlier clock reading never makes an id sort before the last one.
    const last = ids[ids.length - 1]!;
    expect(timeOrderedUuid(at - 60_000) > last).toBe(true);
  });
});
