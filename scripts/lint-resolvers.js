#!/usr/bin/env node
/**
 * Lint rule: every GraphQL resolver method (@Query, @Mutation, @FieldResolver, @Subscription) declares
 * exactly one guard — @AllowPublic, @RequireSubscriber, @RequireStaff or @RequireCaller — so no operation
 * is left open by omission. Run by `npm run lint` and by a test.
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const OPERATIONS = new Set(['Query', 'Mutation', 'FieldResolver', 'Subscription']);
const GUARDS = new Set(['AllowPublic', 'RequireSubscriber', 'RequireStaff', 'RequireCaller']);

function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function decoratorName(decorator) {
  const expression = decorator.expression;
  const callee = ts.isCallExpression(expression) ? expression.expression : expression;
  return ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
}

function lintFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (!/@(Query|Mutation|FieldResolver|Subscription)\(/.test(text)) return [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const problems = [];
  const visit = (node) => {
    if (ts.isMethodDeclaration(node)) {
      const names = (ts.getDecorators(node) ?? []).map(decoratorName).filter(Boolean);
      const operation = names.find((n) => OPERATIONS.has(n));
      if (operation) {
        const guards = names.filter((n) => GUARDS.has(n));
        if (guards.length !== 1) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          const method = node.name.getText(source);
          problems.push(`${file}:${line + 1} @${operation} ${method}: ${guards.length === 0 ? 'declares no guard' : `declares ${guards.length} guards (${guards.join(', ')})`}; use exactly one of ${[...GUARDS].join(', ')}`);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return problems;
}

function lintResolvers(root = path.join(__dirname, '..')) {
  const dirs = [path.join(root, 'subgraphs'), path.join(root, 'shared', 'src'), path.join(root, 'gateway', 'src')];
  const files = dirs.flatMap(sourceFiles);
  return { files: files.length, problems: files.flatMap(lintFile) };
}

module.exports = { lintResolvers, lintFile };

if (require.main === module) {
  const { files, problems } = lintResolvers();
  for (const problem of problems) console.error(problem);
  if (problems.length) {
    console.error(`\n${problems.length} resolver(s) without exactly one guard`);
    process.exit(1);
  }
  console.log(`resolver guards: ${files} files checked, every resolver declares its guard`);
}
