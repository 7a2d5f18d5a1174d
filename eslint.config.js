/**
 * ESLint for every TypeScript tree (`npm run lint`): typescript-eslint's type-checked rules, with
 * floating and misused promises among them, and Svelte's rules for the window's components.
 *
 * A rule is switched off only for named files, in the EXCEPTIONS block below (with why), never by
 * comments spread through the code.
 */

import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

/**
 * Exceptions: each rule a file does not follow, and why. Only where the rule cannot see what makes
 * the code safe; a file that passes comes off its list, and an entry with no file goes.
 */
const EXCEPTIONS = [
  {
    rule: '@typescript-eslint/no-unnecessary-type-assertion',
    why: 'the assertions give $state its type, which the rule does not see',
    files: ['src-renderer/src/state/remotes.svelte.ts'],
  },
  {
    rule: 'svelte/no-at-html-tags',
    why: 'the README\'s HTML comes from marked and is sanitised by DOMPurify before it is shown',
    files: ['src-renderer/src/components/ReadmeView.svelte'],
  },
  {
    rule: 'svelte/prefer-svelte-reactivity',
    why: 'the Sets hold event listeners, not state the window renders',
    files: ['src-renderer/src/state/app.svelte.ts'],
  },
];

const NODE_GLOBALS = { process: 'readonly', console: 'readonly', URL: 'readonly' };

export default defineConfig(
  globalIgnores(['dist/', 'dist-renderer/', 'test-output/', 'resources/', 'node_modules/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  svelte.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the program that compiles it (the first project that includes it).
        project: ['tsconfig.test.json', 'tsconfig.node.json', 'src-renderer/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_` names what a signature or an `{#each}` block requires but the code does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
    // TypeScript (svelte-check) already checks names in components, DOM globals included.
    rules: { 'no-undef': 'off' },
  },
  {
    // Plain JavaScript (the bin entry, configs) is not in a TypeScript program.
    files: ['**/*.js', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { sourceType: 'module', globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // Electron loads a sandboxed preload as CommonJS, so it must `require` Electron.
    files: ['src-main/electron/preload.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...EXCEPTIONS.map(({ rule, files }) => ({ files, rules: { [rule]: 'off' } })),
);
