import tseslint from 'typescript-eslint';

const workflowForbidden = [
  { group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process'], message: 'Workflow code is deterministic: no Node built-ins.' },
  { group: ['zod', 'fastify', 'fastify-*', '@fastify/*', 'undici', 'pino', 'jose', 'fast-xml-parser'], message: 'Workflow code only uses @temporalio/workflow and plain TypeScript.' },
  { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'], message: 'Workflow code only uses @temporalio/workflow.' },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'bench/results/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: workflowForbidden.map((p) => ({ ...p, allowTypeImports: true })) }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' }, { name: 'setInterval', message: 'use sleep() in a loop' }, { name: 'console', message: 'use log from @temporalio/workflow' }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Math.random is replaced in workflows; derive values from inputs' }],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/order.ts', 'src/domain/*-request.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['zod', 'node:*'], message: 'domain files used by workflows stay plain TypeScript; put zod schemas in *-request.ts files' }] }],
    },
  },
);
