import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.local/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        performance: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // `import { z }` brings all of zod into a bundle (locales, JSON-schema tools: 750 KB, ~50 ms of cold start);
      // the namespace import lets esbuild keep only what is used (docs/architecture.md, "Cold start").
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'` (bundle size: docs/architecture.md, Cold start).",
        },
      ],
    },
  },
  { files: ['local/**', 'bench/**', 'scripts/**', 'test/**'], rules: { 'no-console': 'off' } },
  // CommonJS stand-ins that esbuild puts into the bundles in place of a package (scripts/bundle-cuts.mjs).
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { exports: 'writable', module: 'writable' } },
  },
  // The fleet console's script runs in the browser (docs/console.md).
  {
    files: ['functions/cert-api/console/**/*.js'],
    languageOptions: { globals: { document: 'readonly', sessionStorage: 'readonly', URLSearchParams: 'readonly' } },
  },
  { files: ['test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
