/** Two projects: `unit` (real Redis, no n8n) and `e2e` (a real n8n 2.41.1 loading our packed package). */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] };
// dist/ holds compiled copies of the sources: jest resolves and runs the TypeScript ones only.
const modulePathIgnorePatterns = ['<rootDir>/dist/'];

module.exports = {
	globalSetup: '<rootDir>/test/support/require-node24.js',
	// Stops the shared Samba AD DC when no other run still uses it.
	globalTeardown: '<rootDir>/test/support/samba-dc-teardown.js',
	projects: [
		{
			displayName: 'unit',
			testEnvironment: 'node',
			transform,
			modulePathIgnorePatterns,
			testMatch: ['<rootDir>/test/**/*.test.ts'],
			testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/'],
		},
		{
			displayName: 'e2e',
			testEnvironment: 'node',
			transform,
			modulePathIgnorePatterns,
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
		},
	],
};
