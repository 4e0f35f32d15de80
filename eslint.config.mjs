import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

/**
 * n8n's community-node rules, minus n8n Cloud's: this package needs runtime dependencies
 * (ioredis, zod, ldapts, ssh2…) and a companion runtime, so Cloud verification is not a goal.
 */
export default [
	...configWithoutCloudSupport,
	{
		files: ['package.json'],
		rules: {
			// Redis, LDAP and SSH clients cannot be written over n8n's HTTP helpers: we ship them as
			// dependencies, which n8n's installer handles (`npm install --ignore-scripts`).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'runtime/**/*.ts', 'sandbox/**/*.ts'],
		rules: {
			// Tests, benchmarks, the sandbox and the runtime's CLI print to the terminal by design.
			'no-console': 'off',
			// These guard code that n8n loads into its process. Tests, benchmarks, the sandbox and the runtime are
			// never loaded by n8n: they start real servers (redis-server, n8n) and use fixed test
			// passwords on purpose.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/no-hardcoded-secrets': 'off',
			// tsc (npm run typecheck) already resolves every import, including package `exports`
			// wildcards such as @modelcontextprotocol/sdk/types.js that this resolver misses.
			'import-x/no-unresolved': 'off',
		},
	},
	{
		files: ['test/**/*.ts'],
		rules: {
			// Tests read free-form JSON outputs (run data, operation results) field by field.
			'@typescript-eslint/no-explicit-any': 'off',
		},
	},
	{
		files: ['core/**/*.ts', 'runtime/**/*.ts', 'sandbox/**/*.ts'],
		rules: {
			// core/ and runtime/ never import n8n: they throw our WidipError hierarchy, which the node
			// layer (nodes/shared/execute-operation.ts) turns into NodeOperationError with itemIndex.
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
];
