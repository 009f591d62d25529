// Lint rules: typescript-eslint's recommended set, plus the few project rules that keep
// layering honest (simulators never import product code; the domain imports nothing of ours).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'coverage/', 'appPackage/build/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', Buffer: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', structuredClone: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Untrusted incident and chat text is cleaned of control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/simulators/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', '!../simulators/*'], message: 'The simulators are an independent reading of Microsoft\'s contract: never import product code.' }] }],
    },
  },
  {
    // Files in simulator sub-folders may import their siblings (../x); leaving src/simulators (../../) stays banned.
    files: ['src/simulators/*/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../*'], message: 'The simulators are an independent reading of Microsoft\'s contract: never import product code.' }] }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*'], message: 'The domain imports nothing of ours.' }] }],
    },
  },
);
