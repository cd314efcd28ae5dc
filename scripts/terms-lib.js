'use strict';
/**
 * Citations of the operator's terms of use in code, tests and docs: one style, `terms 5.6.5` (a list after one
 * "terms": `terms 2.11-2.14, 6.4`; a section as a whole: `terms 5`). Shared by scripts/terms-citations.js (rewrites
 * the older styles) and scripts/terms-index.js (builds TERMS.md).
 */
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ts = require('typescript');

const ROOT = path.join(__dirname, '..');
const CLAUSES_FILE = path.join(ROOT, 'docs', 'terms-clauses.json');

/** Every citable number: the sections (1–6) and their clauses, in the terms' order. */
function loadClauses(file = CLAUSES_FILE) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const entries = [];
  for (const section of data.sections) {
    entries.push({ number: section.number, title: section.title, section: section.number, isSection: true, leaf: section.clauses.length === 0 });
    for (const clause of section.clauses) entries.push({ number: clause.number, title: clause.title, section: section.number, isSection: false, leaf: true });
  }
  return entries;
}

// A clause number: a section digit and up to two more parts, not the start of a longer number (2025.3, 1.2.3.4).
const NUM = String.raw`[1-6](?:\.\d{1,2}){0,2}(?!\d|\.\d)`;
// A list goes on with dotted numbers, or with a section number that a delimiter ends ("terms 4.4, 5: …").
const NEXT = String.raw`(?:[1-6](?:\.\d{1,2}){1,2}(?!\d|\.\d)|[1-6](?=\s*(?:[),;:]|$)))`;
const SEP = String.raw`\s*(?:,|/|-|–|\band\b|\bor\b)\s*`;
const CITATION = new RegExp(String.raw`\bterms (${NUM}(?:${SEP}${NEXT})*)`, 'g');

/** The numbers a list names: "2.11-2.14, 6.4" → 2.11, 2.12, 2.13, 2.14, 6.4. */
function expandList(list) {
  const numbers = [];
  const parts = list.split(/\s*(?:,|\/|\band\b|\bor\b)\s*/);
  for (const part of parts) {
    const range = part.split(/\s*[-–]\s*/);
    if (range.length === 2) {
      const a = range[0].split('.');
      const b = range[1].split('.');
      const samePrefix = a.length === b.length && a.slice(0, -1).join('.') === b.slice(0, -1).join('.');
      const first = Number(a[a.length - 1]);
      const last = Number(b[b.length - 1]);
      if (samePrefix && first <= last && last - first <= 20) {
        for (let n = first; n <= last; n += 1) numbers.push([...a.slice(0, -1), String(n)].join('.'));
        continue;
      }
    }
    numbers.push(...range);
  }
  return numbers;
}

/** The citations in a text: each with its position and the clause numbers it names. */
function citationsIn(text) {
  const found = [];
  for (const match of text.matchAll(CITATION)) found.push({ index: match.index, text: match[0], numbers: expandList(match[1]) });
  return found;
}

// --- rewriting the older styles ---------------------------------------------------------------------------------

/** A list of clause numbers the terms have (dotted ones: a bare "5" is no citation). */
function knownList(known) {
  const alternatives = [...known]
    .filter((number) => number.includes('.'))
    .sort((a, b) => b.length - a.length)
    .map((number) => number.replace(/\./g, '\\.'));
  const one = String.raw`(?:${alternatives.join('|')})(?!\d|\.\d)`;
  return String.raw`${one}(?:${SEP}${one})*`;
}

// Where a bare list stands as a citation: opening a parenthesis, a sentence, a comment, a line or a description, or
// after a clause's punctuation ("the owner, or a manager: 4.3", "restored, 3.3)").
const CITATION_PLACE = /(?:^|[([,;:.—–]|^\s*(?:\/\/|\/?\*+|-|#+|>)?)\s*$/;
const ALREADY_CITED = new RegExp(String.raw`\bterms (?:${NUM}(?:${SEP}${NEXT})*)${SEP}$|\bterms\s*$`);

/**
 * Rewrites the older citation styles of one text (a comment, a GraphQL description, a test's name, prose) to
 * `terms X.Y`: "(2.4)", "— 5.1", "2.11 / 6.4:", "п. 3.1.1", "clause 6.6", "terms section 5", "terms (1)",
 * "Terms 4.3". Numbers that are no clause of the terms (versions, durations, "2.5 s") stay as they are; text
 * already in the style is left alone, so running it again changes nothing.
 */
function rewriteText(text, known) {
  const list = knownList(known);
  const out = text
    .replace(/\b[Tt]erms section ([1-6])\b/g, 'terms $1')
    .replace(/\b[Tt]erms \(([1-6](?:\.\d{1,2}){0,2})\)/g, 'terms $1')
    .replace(new RegExp(String.raw`(?:пп?\.|\b[Cc]lauses?)\s?(${list})`, 'g'), 'terms $1')
    .replace(new RegExp(String.raw`\bTerms (${NUM})`, 'g'), 'terms $1');
  const bare = new RegExp(String.raw`(?<![\w.\-–/])(${list})(?!\s?(?:s|ms|h|KB|MB|GB|%)\b)`, 'g');
  return (
    out
      .replace(bare, (match, _list, offset, whole) => {
        const before = whole.slice(0, offset);
        if (ALREADY_CITED.test(before)) return match;
        const line = before.slice(before.lastIndexOf('\n') + 1);
        return CITATION_PLACE.test(line) ? `terms ${match}` : match;
      })
      // The requirements call section 1's one rule "(1)": in a list of clauses it is section 1.
      .replace(/(?<=\bterms [^\n]*?, )\(1\)(?=[\s,)])/g, (match, offset, whole) => (ALREADY_CITED.test(whole.slice(0, offset)) ? '1' : 'terms 1'))
  );
}

// --- where citations live in a source file ----------------------------------------------------------------------

const TEST_CALLS = new Set(['it', 'test', 'describe']);

/** `it(…)`, `test.each(…)(…)`, `describe.only(…)`, `tester.run(…)`: a call that names a test. */
function isTestCall(node) {
  if (!ts.isCallExpression(node) || node.arguments.length === 0) return false;
  let callee = node.expression;
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'run' && ts.isIdentifier(callee.expression) && /tester$/i.test(callee.expression.text)) return true;
  while (ts.isCallExpression(callee) || ts.isPropertyAccessExpression(callee)) callee = callee.expression;
  return ts.isIdentifier(callee) && TEST_CALLS.has(callee.text);
}

function isStringLike(node) {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
}

/** A test's name as written (`${…}` parts included). */
function nameOf(node, source) {
  return ts.isTemplateExpression(node) ? source.text.slice(node.getStart(source) + 1, node.end - 1) : node.text;
}

/**
 * The parts of a TypeScript or JavaScript file that are for developers: every comment, GraphQL descriptions
 * (`description: '…'`) and test names. Texts shown to subscribers (messages in kk, ru and en) are not among them.
 * Each part is a range of the file's text ([start, end)) with the name of the test it is in, if any.
 */
function developerTexts(file, text) {
  const kind = file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const parts = [];
  const seen = new Set();
  const addComments = (ranges, test) => {
    for (const range of ranges ?? []) {
      if (seen.has(range.pos)) continue;
      seen.add(range.pos);
      parts.push({ start: range.pos, end: range.end, kind: 'comment', test });
    }
  };
  const addString = (node, kind, test) => {
    if (ts.isTemplateExpression(node)) {
      // The literal pieces only: what is inside `${…}` is code.
      for (const piece of [node.head, ...node.templateSpans.map((span) => span.literal)]) parts.push({ start: piece.getStart(source), end: piece.end, kind, test });
    } else parts.push({ start: node.getStart(source) + 1, end: node.end - 1, kind, test });
  };
  const visit = (node, test) => {
    addComments(ts.getLeadingCommentRanges(text, node.pos), test);
    addComments(ts.getTrailingCommentRanges(text, node.end), test);
    let inner = test;
    if (isTestCall(node) && isStringLike(node.arguments[0])) {
      inner = nameOf(node.arguments[0], source);
      addString(node.arguments[0], 'test name', inner);
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'description' && isStringLike(node.initializer)) {
      addString(node.initializer, 'description', test);
    }
    ts.forEachChild(node, (child) => visit(child, inner));
  };
  visit(source, undefined);
  return parts.sort((a, b) => a.start - b.start);
}

/** Files git knows (tracked, or new and not ignored), relative to the root, with one of these endings. */
function repositoryFiles(endings) {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(listed.split('\0').filter(Boolean))]
    .filter((file) => endings.some((ending) => file.endsWith(ending)))
    .filter((file) => fs.existsSync(path.join(ROOT, file)))
    .sort();
}

function isTestFile(file) {
  return /(^|\/)test\//.test(file) || /\.test\.[jt]s$/.test(file);
}

module.exports = { ROOT, CLAUSES_FILE, loadClauses, citationsIn, expandList, rewriteText, developerTexts, repositoryFiles, isTestFile };
