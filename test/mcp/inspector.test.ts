import path from 'node:path';

import { KEYS, runNode, startRuntime, type McpRuntime } from './runtime';

jest.setTimeout(90_000);

// @modelcontextprotocol/inspector-cli: the Inspector's own CLI, without its web UI (no browser,
// no install script). Its `mcp-inspector-cli --cli` starts build/index.js, which reads its
// package.json through a path relative to the working directory: it runs from its build folder.
const PACKAGE = path.dirname(require.resolve('@modelcontextprotocol/inspector-cli/package.json'));
const BIN = path.join(PACKAGE, 'build', 'cli.js');

/**
 * The MCP Inspector CLI, as an operator would use it to look at the runtime: it lists and calls
 * the tools of /mcp/sentinel over Streamable HTTP with the agent key as a header.
 */
describe('MCP Inspector CLI against widip serve', () => {
	let mcp: McpRuntime;

	beforeAll(async () => {
		mcp = await startRuntime('mcpinsp');
	});
	afterAll(async () => {
		await mcp?.close();
	});

	async function inspect(...args: string[]): Promise<Record<string, unknown>> {
		const run = await runNode(
			BIN,
			['--cli', `${mcp.runtime.url}/mcp/sentinel`, '--transport', 'http', '--header', `Authorization: Bearer ${KEYS.sentinel}`, ...args],
			{ cwd: path.join(PACKAGE, 'build'), timeoutMs: 60_000 },
		);
		if (run.code !== 0) throw new Error(`inspector exited ${run.code}: ${run.stderr}\n${run.stdout}`);
		return JSON.parse(run.stdout) as Record<string, unknown>;
	}

	it('tools/list shows the sentinel tools and none of the assist toolset', async () => {
		const { tools } = (await inspect('--method', 'tools/list')) as { tools: Array<{ name: string; annotations?: Record<string, unknown> }> };
		const names = tools.map((tool) => tool.name);
		expect(names).toContain('observium_device_status');
		expect(names).toContain('safeguard_status');
		expect(names).not.toContain('glpi_close_ticket');
		expect(tools.find((tool) => tool.name === 'observium_device_status')?.annotations).toMatchObject({ readOnlyHint: true });
	});

	it('tools/call observium_device_status returns the structured result', async () => {
		const result = await inspect('--method', 'tools/call', '--tool-name', 'observium_device_status', '--tool-arg', 'device=EHPAD-Bellevue-RTR01');
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent).toMatchObject({ hostname: 'EHPAD-Bellevue-RTR01' });
		expect(JSON.parse((result.content as Array<{ text: string }>)[0].text)).toEqual(result.structuredContent);
	});

	it('without the key the CLI fails: the runtime answered 401', async () => {
		const run = await runNode(BIN, ['--cli', `${mcp.runtime.url}/mcp/sentinel`, '--transport', 'http', '--method', 'tools/list'], {
			cwd: path.join(PACKAGE, 'build'),
			timeoutMs: 60_000,
		});
		expect(run.code).not.toBe(0);
		expect(run.stderr).toMatch(/401|agent key/);
	});
});
