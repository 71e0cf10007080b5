// Lint, including the module boundaries of DESIGN §3: libs never import services or tools;
// libs/ml, libs/core, libs/data and libs/pipeline import no network package, no network adapter
// (@noisy/platform/<subpath>, @noisy/contracts/grpc) and no host, and read no environment; only
// service mains and the CLI may touch telemetry SDKs or native tfjs packages.
// libs/platform/src/boundaries.test.ts proves the rule fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const network = [
  'node:net',
  'node:http',
  'node:https',
  'node:dgram',
  'net',
  'http',
  'https',
  '@grpc/*',
  '@nats-io/*',
  '@aws-sdk/*',
];
// The network adapters and what loads them: every @noisy/platform subpath (nats, s3, grpc, net,
// telemetry), the generated gRPC services, the service host, and deep paths around the entries.
const adapters = [
  '@noisy/platform/*',
  '@noisy/contracts/grpc',
  '@noisy/host',
  '@noisy/host/*',
  '**/platform/src/**',
  '**/contracts/src/gen/**',
];
const pureLibs = ['libs/ml/**/*.ts', 'libs/core/**/*.ts', 'libs/data/**/*.ts', 'libs/pipeline/**/*.ts'];
const outward = ['**/services/**', '**/tools/**', '@noisy/cli'];
const processEnv = {
  object: 'process',
  property: 'env',
  message: 'Pure libraries take configuration as parameters; read env only in service mains and the CLI.',
};

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'runs/**',
      'scratch/**',
      'libs/contracts/src/gen/**',
      'bench/results/**',
      '.nx/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: outward, message: 'libs never import services or tools.' },
            { group: ['@noisy/*/src/*'], message: 'Import a lib through its index.' },
          ],
        },
      ],
    },
  },
  {
    files: pureLibs,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: outward, message: 'libs never import services or tools.' },
            { group: ['@noisy/*/src/*'], message: 'Import a lib through its index.' },
            { group: network, message: 'libs/ml, core, data and pipeline import no network: take a port.' },
            {
              group: adapters,
              message:
                'libs/ml, core, data and pipeline use the ports of @noisy/platform, never an adapter: take a port.',
            },
            {
              group: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
              message: 'native tfjs is loaded only by backend selection.',
            },
          ],
        },
      ],
      'no-restricted-properties': ['error', processEnv],
    },
  },
);
