import { Language, languageFromHeader, languageInHeader } from '../src';

describe('the language of a request (Accept-Language: kk, ru, en; default ru)', () => {
  it.each([
    ['kk', Language.KK],
    ['en-US,en;q=0.9', Language.EN],
    ['de-DE, ru;q=0.5, kk;q=0.8', Language.KK],
    ['RU', Language.RU],
  ])('%s asks for %s', (header, language) => {
    expect(languageInHeader(header)).toBe(language);
    expect(languageFromHeader(header)).toBe(language);
  });

  it('a header naming none of them, or none at all, asks for nothing: the default applies', () => {
    for (const header of [undefined, null, '', 'de-DE', '*', 'fr;q=1']) {
      expect(languageInHeader(header)).toBeNull();
      expect(languageFromHeader(header)).toBe(Language.RU);
    }
  });
});
