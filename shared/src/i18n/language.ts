/** Languages of the cabinet (contract `Language`); ru is the default. */
export enum Language {
  KK = 'KK',
  RU = 'RU',
  EN = 'EN',
}

export type Texts = Record<Language, string>;

/** Picks the caller's language from an Accept-Language header (kk, ru, en; default ru). */
export function languageFromHeader(header: string | undefined | null): Language {
  return languageInHeader(header) ?? Language.RU;
}

/** The language an Accept-Language header asks for, if it names kk, ru or en at all; null otherwise. */
export function languageInHeader(header: string | undefined | null): Language | null {
  if (!header) return null;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: (tag ?? '').split('-')[0] ?? '', q: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    if (tag === 'kk') return Language.KK;
    if (tag === 'ru') return Language.RU;
    if (tag === 'en') return Language.EN;
  }
  return null;
}

/** Fills `{name}` placeholders. */
export function interpolate(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}
