import type { ESLint } from 'eslint';

declare const plugin: ESLint.Plugin & { rules: Record<'resolver-guard' | 'test-waits', import('eslint').Rule.RuleModule> };
export = plugin;
