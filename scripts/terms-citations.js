#!/usr/bin/env node
'use strict';
/**
 * One citation style for the terms of use: `terms X.Y[.Z]`. Rewrites the older ones — "(2.4)", "3.3: …", "п. 3.1.1",
 * "clause 6.6", "terms section 5", "terms (1)" — in what developers read: comments, GraphQL descriptions, test names
 * and the Markdown docs. Texts shown to subscribers (messages in kk, ru and en) are left as they are.
 *
 *   node scripts/terms-citations.js                       lists what it would change (exit 1 if anything)
 *   node scripts/terms-citations.js --fix                 changes it
 *   node scripts/terms-citations.js --fix --exclude subgraphs/catalog [paths…]
 *
 * Running it again changes nothing; it can be run over code written since.
 */
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, loadClauses, rewriteText, developerTexts, repositoryFiles } = require('./terms-lib');

/** Generated, data, or about the older styles themselves: never rewritten. */
const SKIPPED = [/^schema\//, /^TERMS\.md$/, /^docs\/terms-clauses\.json$/, /^scripts\/terms-(citations|lib)\.js$/, /^test\/terms\//, /(^|\/)dist\//, /(^|\/)node_modules\//, /^package-lock\.json$/];

function parseArguments(argv) {
  const options = { fix: false, exclude: [], paths: [] };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === '--fix') options.fix = true;
    else if (argument === '--exclude') options.exclude.push(argv[++i].replace(/\/$/, ''));
    else options.paths.push(argument.replace(/\/$/, ''));
  }
  return options;
}

const under = (file, prefix) => file === prefix || file.startsWith(`${prefix}/`);

/** The file's text with every developer-facing part rewritten, and the lines that changed. */
function rewriteFile(file, text, known) {
  if (file.endsWith('.md')) {
    // Inline code (`…`) is quoted as it is: only the prose around it.
    const rewritten = text
      .split(/(`[^`\n]*`)/)
      .map((piece) => (piece.startsWith('`') ? piece : rewriteText(piece, known)))
      .join('');
    return { rewritten, changes: changedLines(text, rewritten) };
  }
  let rewritten = text;
  // From the end, so earlier offsets stay valid.
  for (const part of developerTexts(file, text).reverse()) {
    const original = rewritten.slice(part.start, part.end);
    const next = rewriteText(original, known);
    if (next !== original) rewritten = rewritten.slice(0, part.start) + next + rewritten.slice(part.end);
  }
  return { rewritten, changes: changedLines(text, rewritten) };
}

function changedLines(before, after) {
  const a = before.split('\n');
  const b = after.split('\n');
  if (a.length !== b.length) throw new Error('a rewrite changed the number of lines');
  return a.flatMap((line, i) => (line === b[i] ? [] : [{ line: i + 1, before: line.trim(), after: b[i].trim() }]));
}

function main() {
  const options = parseArguments(process.argv.slice(2));
  const known = new Set(loadClauses().map((clause) => clause.number));
  const files = repositoryFiles(['.ts', '.js', '.mjs', '.md']).filter(
    (file) =>
      !SKIPPED.some((pattern) => pattern.test(file)) &&
      !options.exclude.some((prefix) => under(file, prefix)) &&
      (options.paths.length === 0 || options.paths.some((prefix) => under(file, prefix))),
  );
  let changed = 0;
  for (const file of files) {
    const full = path.join(ROOT, file);
    const text = fs.readFileSync(full, 'utf8');
    const { rewritten, changes } = rewriteFile(file, text, known);
    if (changes.length === 0) continue;
    changed += changes.length;
    for (const change of changes) console.log(`${file}:${change.line}\n  - ${change.before}\n  + ${change.after}`);
    if (options.fix) fs.writeFileSync(full, rewritten);
  }
  console.log(`${changed} line(s) ${options.fix ? 'rewritten' : 'to rewrite'} in ${files.length} files`);
  if (changed > 0 && !options.fix) process.exitCode = 1;
}

if (require.main === module) main();

module.exports = { rewriteFile };
