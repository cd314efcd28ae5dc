// @ts-check
/**
 * ESLint for the whole repository: `npm run lint`, and `npm test` before the suites. Flat config, typescript-eslint's
 * recommended rules, two type-aware rules (one program over tsconfig.test.json), and the repository's own rules in
 * eslint-rules/ (every resolver declares its guard; tests wait for outcomes, not for time).
 */
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';
import selfcare from './eslint-rules/index.js';

/** Node's globals, for the CommonJS scripts (TypeScript files get them from @types/node). */
const nodeGlobals = Object.fromEntries(
  [
    'AbortController', 'AbortSignal', 'Buffer', 'URL', 'URLSearchParams', 'TextDecoder', 'TextEncoder', '__dirname', '__filename', 'clearImmediate',
    'clearInterval', 'clearTimeout', 'console', 'exports', 'fetch', 'module', 'performance', 'process', 'queueMicrotask', 'require', 'setImmediate',
    'setInterval', 'setTimeout', 'structuredClone',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['**/node_modules/**', '**/dist/**', 'data/**', 'coverage/**', 'examples/front-end/generated/**'] },
  // A disable comment must name a rule that exists and fires there.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'selfcare/typescript',
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Type-aware, and worth the one program they need: an un-awaited promise loses its error (or a test's assertion).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    name: 'selfcare/house-style',
    rules: {
      // `_name`: deliberately unused (an interface's parameter, a destructured field left out).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Tests (and the testing kit's GraphQL client) read GraphQL answers, JSON shaped by each query, as `any`.
    name: 'selfcare/answers-in-tests',
    files: ['**/test/**/*.ts', 'shared/src/testing/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    name: 'selfcare/resolvers',
    files: ['**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { selfcare },
    rules: { 'selfcare/resolver-guard': 'error' },
  },
  {
    name: 'selfcare/tests',
    files: ['**/test/**/*.ts', 'test/**/*.js'],
    plugins: { selfcare },
    rules: { 'selfcare/test-waits': 'error' },
  },
  {
    name: 'selfcare/commonjs',
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { name: 'selfcare/config', files: ['eslint.config.mjs'], languageOptions: { globals: nodeGlobals } },
);
