import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-*/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // rhea's values come from src/amqp/rhea.ts (CommonJS default export); only types from 'rhea'.
      'no-restricted-imports': ['error', { paths: [{ name: 'rhea', allowTypeImports: true, message: 'import rhea values from src/amqp/rhea.ts' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'writable' } },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The notification sender is a client of another AMQP network and must not import the
    // registry's AMQP server layer (src/amqp/): it takes rhea's default export itself.
    files: ['src/amqp/rhea.ts', 'src/notifications/amqp.ts', 'test/**/*.ts', 'bench/**/*.ts', '.tmp/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/service/**/*.ts', 'src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['koa', '@koa/router', 'rhea', 'ioredis'] }],
    },
  },
);
