import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { KEYS, runNode, startRuntime, type McpRuntime } from './runtime';

jest.setTimeout(120_000);

const SUITE = require.resolve('@modelcontextprotocol/conformance/dist/index.js');

interface Check {
	id: string;
	status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
	errorMessage?: string;
}

/**
 * The suite speaks MCP without credentials, and our server answers every key-less request with
 * 401. So the suite talks to this proxy, which adds the agent key and changes nothing else: the
 * method, the path, the body and every header — Host and Origin included, exactly as the suite
 * sent them — go to the runtime on 127.0.0.1. The runtime therefore judges the Host/Origin the
 * suite chose (`localhost:<proxy port>`, or `evil.example.com` in the DNS-rebinding scenario), and
 * the answers it gives (status, headers, body, streamed) come back untouched.
 */
async function keyAddingProxy(target: number, key: string): Promise<{ port: number; close(): Promise<void> }> {
	const server = http.createServer((incoming, outgoing) => {
		const headers = { ...incoming.headers, authorization: `Bearer ${key}` };
		const forwarded = http.request(
			{ host: '127.0.0.1', port: target, method: incoming.method, path: incoming.url, headers, agent: false },
			(answer) => {
				outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(outgoing);
			},
		);
		forwarded.on('error', () => {
			if (!outgoing.headersSent) outgoing.writeHead(502);
			outgoing.end();
		});
		incoming.pipe(forwarded);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as AddressInfo).port,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

async function checksUnder(directory: string): Promise<Check[]> {
	const checks: Check[] = [];
	for (const entry of await readdir(directory, { recursive: true })) {
		if (path.basename(entry) === 'checks.json') checks.push(...(JSON.parse(await readFile(path.join(directory, entry), 'utf8')) as Check[]));
	}
	return checks;
}

/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, server mode) against
 * `widip serve`'s /mcp/sentinel: every scenario that applies to a server that has no demo tools,
 * prompts or resources and declares only the tools capability (so no logging-set-level).
 */
describe('MCP conformance suite against widip serve', () => {
	let mcp: McpRuntime;
	let proxy: { port: number; close(): Promise<void> };
	let results: string;

	beforeAll(async () => {
		mcp = await startRuntime('mcpconf');
		proxy = await keyAddingProxy(mcp.port, KEYS.sentinel);
		results = await mkdtemp(path.join(tmpdir(), 'widip-conformance-'));
	});
	afterAll(async () => {
		await proxy?.close();
		await mcp?.close();
		if (results) await rm(results, { recursive: true, force: true });
	});

	it.each([
		// initialize handshake, then the initialized notification
		['server-initialize', 1],
		['ping', 1],
		// every tool has a name, a description and an input schema
		['tools-list', 1],
		// calls test_error_handling, which we do not have: the answer must be a result with isError, not a protocol error
		['tools-call-error', 1],
		// Host/Origin evil.example.com → 4xx; Host/Origin localhost:<port> → 2xx
		['dns-rebinding-protection', 2],
	])('%s passes', async (scenario, expected) => {
		const output = path.join(results, scenario);
		const run = await runNode(SUITE, ['server', '--url', `http://localhost:${proxy.port}/mcp/sentinel`, '--scenario', scenario, '-o', output], { timeoutMs: 60_000 });
		const checks = await checksUnder(output);
		const failed = checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING');
		expect({ failed, code: run.code }).toEqual({ failed: [], code: 0 });
		expect(checks.filter((check) => check.status === 'SUCCESS')).toHaveLength(expected);
		expect(checks.length).toBeGreaterThanOrEqual(expected);
	});

	it('the runtime itself refuses the rebinding Host the proxy forwarded (the 4xx is ours, not the proxy’s)', async () => {
		const checks = await checksUnder(path.join(results, 'dns-rebinding-protection'));
		const rejected = checks.find((check) => check.id === 'localhost-host-rebinding-rejected') as Check & { details?: { statusCode: number; body: { message?: string } } };
		expect(rejected?.details?.statusCode).toBe(403);
		expect(rejected?.details?.body?.message).toMatch(/WIDIP_MCP_ALLOWED_HOSTS/);
	});
});
