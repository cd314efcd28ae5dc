import { badInput } from '../errors/domain-error';

/**
 * Opaque cursors for the contract's connections (first/after). A cursor holds the sort key and id of the
 * last row seen, so pages stay stable while new rows are added.
 */
export interface CursorPosition {
  /** the sort key, e.g. a timestamp in ms or a sequence number */
  k: string | number;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, field = 'after'): CursorPosition | null {
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPosition;
    if ((typeof parsed.k === 'string' || typeof parsed.k === 'number') && typeof parsed.id === 'string') return parsed;
  } catch {
    // falls through to the input error
  }
  throw badInput(field, { KK: 'Курсор қате', RU: 'Неверный курсор', EN: 'Invalid cursor' });
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw badInput(field, {
      KK: `first 1-ден ${MAX_PAGE_SIZE}-ге дейін болуы керек`,
      RU: `first должен быть от 1 до ${MAX_PAGE_SIZE}`,
      EN: `first must be between 1 and ${MAX_PAGE_SIZE}`,
    });
  }
  return first;
}

/** Builds edges and pageInfo from `limit + 1` fetched rows. */
export function toConnection<T>(rows: T[], limit: number, positionOf: (row: T) => CursorPosition) {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(positionOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.length ? edges[edges.length - 1]!.cursor : null },
  };
}
