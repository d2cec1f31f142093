import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output and generated code are not ours to lint.
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'src/generated/', 'test/generated/', 'src/console/client/generated/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `const { omitted, ...rest } = x` is how a property is dropped from a copy; `omitted` is meant to be unused.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
);
