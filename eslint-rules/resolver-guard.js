'use strict';
/**
 * Every GraphQL resolver method (@Query, @Mutation, @FieldResolver, @Subscription) declares exactly one guard —
 * @AllowPublic, @RequireSubscriber, @RequireStaff or @RequireCaller — so no operation is left open by omission
 * and none is guarded twice over (which of two would decide?).
 */
const OPERATIONS = new Set(['Query', 'Mutation', 'FieldResolver', 'Subscription']);
const GUARDS = ['AllowPublic', 'RequireSubscriber', 'RequireStaff', 'RequireCaller'];

/** `@Query(...)`, `@Query`, `@tg.Query(...)` → 'Query'. */
function decoratorName(decorator) {
  let callee = decorator.expression;
  if (callee.type === 'CallExpression') callee = callee.callee;
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression' && !callee.computed && callee.property.type === 'Identifier') return callee.property.name;
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'require exactly one guard decorator on every GraphQL resolver method' },
    schema: [],
    messages: {
      none: '@{{operation}} {{method}} declares no guard; use exactly one of {{guards}}',
      many: '@{{operation}} {{method}} declares {{count}} guards ({{found}}); use exactly one of {{guards}}',
    },
  },
  create(context) {
    return {
      MethodDefinition(node) {
        const names = (node.decorators ?? []).map(decoratorName).filter(Boolean);
        const operation = names.find((name) => OPERATIONS.has(name));
        if (!operation) return;
        const found = names.filter((name) => GUARDS.includes(name));
        if (found.length === 1) return;
        const method = node.key.type === 'Identifier' ? node.key.name : context.sourceCode.getText(node.key);
        context.report({
          node: node.key,
          messageId: found.length === 0 ? 'none' : 'many',
          data: { operation, method, count: String(found.length), found: found.join(', '), guards: GUARDS.join(', ') },
        });
      },
    };
  },
};
