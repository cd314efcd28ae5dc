import { readFileSync } from 'node:fs';
import { rewriteFile } from '../../scripts/terms-citations';
import { buildIndex, TERMS_FILE } from '../../scripts/terms-index';
import { citationsIn, loadClauses, rewriteText } from '../../scripts/terms-lib';

/** TERMS.md, the clause index (scripts/terms-index.js), and the one citation style (scripts/terms-citations.js). */
const known = new Set(loadClauses().map((clause) => clause.number));

describe('TERMS.md', () => {
  const { markdown, unknown } = buildIndex();

  it('is what `npm run terms` makes of the code and tests as they are now', () => {
    expect(readFileSync(TERMS_FILE, 'utf8')).toBe(markdown);
  });

  it('finds no citation of a clause the terms do not have', () => {
    expect(unknown).toEqual([]);
  });

  it('lists every clause of docs/terms-clauses.json, and which are not built yet', () => {
    for (const clause of loadClauses()) expect(markdown).toContain(`${clause.number} ${clause.title}`);
    expect(markdown).toMatch(/## Not built yet\n\nNo code or test cites these clauses:\n\n- \*\*2\.7\*\*/);
  });
});

describe('citations: terms X.Y[.Z]', () => {
  it('reads lists and ranges after one "terms"', () => {
    expect(citationsIn('see terms 2.11-2.14, 6.4; terms 5, 4.2/4.3 and terms 1 "Login"').map((c) => c.numbers)).toEqual([
      ['2.11', '2.12', '2.13', '2.14', '6.4'],
      ['5', '4.2', '4.3'],
      ['1'],
    ]);
    // Numbers that only look like clauses are none: a version in test data, a longer dotted number.
    expect(citationsIn('terms 2025.3 accepted; terms 1.2.3.4')).toEqual([]);
  });

  it.each([
    ['(2.4)', '(terms 2.4)'],
    ['/** 3.3: the balance went below */', '/** terms 3.3: the balance went below */'],
    ['(2.8, 5.1) so far', '(terms 2.8, 5.1) so far'],
    ['2.11-2.14, 6.4: a consent', 'terms 2.11-2.14, 6.4: a consent'],
    ['the owner, or a manager: 4.3)', 'the owner, or a manager: terms 4.3)'],
    ['(terms section 5, 4.2-4.4)', '(terms 5, 4.2-4.4)'],
    ['web only (terms (1))', 'web only (terms 1)'],
    ['login (3.1.1, (1), 3.3)', 'login (terms 3.1.1, 1, terms 3.3)'],
    ['п. 3.1.1 and clause 6.6', 'terms 3.1.1 and terms 6.6'],
    ['Terms 4.3: a subscriber', 'terms 4.3: a subscriber'],
  ])('rewrites %j to %j', (before, after) => {
    expect(rewriteText(before, known)).toBe(after);
    expect(rewriteText(after, known)).toBe(after);
  });

  it.each(['took 2.5 s', 'Federation 2.7 subgraph', 'SQLite ≥ 3.25', 'NIST SP 800-63B 5.2.2', 'Redis before 6.2', '(2.5 s)', 'terms 2.4, 3.5, 4.3: every action', 'the procedure of section 5'])(
    'leaves %j as it is',
    (text) => {
      expect(rewriteText(text, known)).toBe(text);
    },
  );

  it('rewrites what developers read (comments, descriptions, test names), not texts shown to subscribers', () => {
    const source = [
      "// 2.14: stopping Ashyq deletes the data",
      "@Field(() => Boolean, { description: '4.3: through number management' })",
      "const texts = { EN: 'password sent by SMS (3.1.1)', RU: 'пароль отправлен по SMS (п. 3.1.1)' };",
      "it('refuses a stranger (2.5)', async () => undefined);",
    ].join('\n');
    const { rewritten, changes } = rewriteFile('sample.ts', source, known);
    expect(rewritten.split('\n')).toEqual([
      '// terms 2.14: stopping Ashyq deletes the data',
      "@Field(() => Boolean, { description: 'terms 4.3: through number management' })",
      "const texts = { EN: 'password sent by SMS (3.1.1)', RU: 'пароль отправлен по SMS (п. 3.1.1)' };",
      "it('refuses a stranger (terms 2.5)', async () => undefined);",
    ]);
    expect(changes.map((change) => change.line)).toEqual([1, 2, 4]);
    expect(rewriteFile('sample.ts', rewritten, known).changes).toEqual([]);
    // In Markdown, inline code is quoted as it is.
    expect(rewriteFile('notes.md', 'older styles such as `(2.4)` become (2.4) no more', known).rewritten).toBe('older styles such as `(2.4)` become (terms 2.4) no more');
  });
});
