import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';

import { catalogue } from '../../core/catalogue';
import { Coordination } from '../../core/redis/coordination';
import { Approvals } from '../../core/safeguard/approvals';
import type { Serving } from '../../runtime/serve';
import type { GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { REDIS_HOST, REDIS_PORT } from '../support/redis';
import { KEYS, startRuntime, type McpRuntime } from './runtime';

jest.setTimeout(60_000);

/**
 * The runtime's MCP server as agents meet it: the official MCP SDK client over Streamable HTTP and
 * legacy SSE, against `widip serve` with the GLPI and Observium simulators behind it and real Redis.
 */
describe('MCP server of widip serve (official SDK client, real Redis, simulators)', () => {
	let mcp: McpRuntime;
	let runtime: Serving;
	let glpi: GlpiSimulator;
	let prefix: string;
	let probe: Coordination;
	let approvals: Approvals;
	const clients: Client[] = [];

	beforeAll(async () => {
		mcp = await startRuntime('mcp');
		({ runtime, glpi, prefix } = mcp);
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		approvals = new Approvals(probe.redis, prefix);
	});
	afterAll(async () => {
		for (const client of clients) await client.close().catch(() => undefined);
		await probe?.close();
		await mcp?.close();
	});

	async function connect(toolset: string, key: string, transport: 'streamable' | 'sse' = 'streamable'): Promise<Client> {
		const client = new Client({ name: 'widip-test', version: '1' });
		const url = new URL(`${runtime.url}/mcp/${toolset}${transport === 'sse' ? '/sse' : ''}`);
		const headers = { authorization: `Bearer ${key}` };
		await client.connect(
			transport === 'sse'
				? new SSEClientTransport(url, {
						requestInit: { headers },
						eventSourceInit: { fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
					})
				: new StreamableHTTPClientTransport(url, { requestInit: { headers } }),
		);
		clients.push(client);
		return client;
	}

	const textOf = (result: CallToolResult) => (result.content[0] as { text: string }).text;

	it.each(['streamable', 'sse'] as const)('over %s: lists only its toolset, never an L4, with every annotation set, and calls an Observium tool', async (transport) => {
		const client = await connect('sentinel', KEYS.sentinel, transport);
		const { tools } = await client.listTools();
		const names = tools.map((tool) => tool.name).sort();
		expect(names).toContain('observium_device_status');
		expect(names).toContain('safeguard_status');
		expect(names).not.toContain('glpi_close_ticket');
		expect(names.some((name) => ['ad_delete_user', 'ad_create_user'].includes(name))).toBe(false);
		for (const tool of tools as Tool[]) {
			expect(Object.keys(tool.annotations ?? {}).sort()).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint', 'title']);
		}
		const result = (await client.callTool({ name: 'observium_device_status', arguments: { device: 'EHPAD-Bellevue-RTR01' } })) as CallToolResult;
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent).toMatchObject({ hostname: 'EHPAD-Bellevue-RTR01' });
	});

	it('tool errors are results with isError that name the field, never protocol errors', async () => {
		const client = await connect('sentinel', KEYS.sentinel);
		const bad = (await client.callTool({ name: 'observium_device_status', arguments: { device: 42 } })) as CallToolResult;
		expect(bad.isError).toBe(true);
		expect(textOf(bad)).toMatch(/device:/);
		const unknown = (await client.callTool({ name: 'glpi_close_ticket', arguments: { ticketId: 1, solution: 'done' } })) as CallToolResult;
		expect(unknown.isError).toBe(true);
		expect(textOf(unknown)).toMatch(/Unknown tool "glpi_close_ticket" in toolset "sentinel"/);
	});

	it('refuses missing, unknown, technician and foreign-toolset keys, and foreign Host or Origin', async () => {
		const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
		const post = async (path: string, headers: Record<string, string>) =>
			await fetch(`${runtime.url}${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
				body: JSON.stringify(initialize),
			});
		expect((await post('/mcp/sentinel', {})).status).toBe(401);
		expect((await post('/mcp/sentinel', { authorization: 'Bearer not-a-key' })).status).toBe(401);
		expect((await post('/mcp/sentinel', { 'x-api-key': KEYS.tech })).status).toBe(403);
		expect((await post('/mcp/assist', { authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(403);
		expect((await post('/mcp/nope', { authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(404);
		expect((await post('/mcp/sentinel', { 'x-api-key': KEYS.sentinel, origin: 'http://evil.example.com' })).status).toBe(403);
		expect((await post('/mcp/sentinel', { 'x-api-key': KEYS.sentinel })).status).toBe(200);
	});

	it('L3 over MCP: nothing reaches GLPI until approved; then the identical call runs once; other requester, other arguments and replay are refused', async () => {
		const ticketId = glpi.state.addTicket({ name: 'Imprimante', content: 'Ne marche plus' }).id;
		const assist = await connect('assist', KEYS.assist);
		const args = { ticketId, solution: 'Imprimante redémarrée', safeguardConfidence: 95, safeguardReason: 'résolu avec la personne' };
		const closes = () => glpi.requests.filter((request) => request.method !== 'GET' && /ITILSolution|Ticket\/\d+/.test(request.path)).length;
		const before = closes();

		const asked = (await assist.callTool({ name: 'glpi_close_ticket', arguments: args })) as CallToolResult;
		expect(asked.isError).toBe(true);
		expect(textOf(asked)).toMatch(/needs a technician's approval/);
		const approvalId = /"approvalId":"([A-Za-z0-9_-]{22})"/.exec(textOf(asked))![1];
		expect(closes()).toBe(before);
		const status = (await assist.callTool({ name: 'safeguard_status', arguments: { approvalId } })) as CallToolResult;
		expect(status.structuredContent).toMatchObject({ status: 'pending' });

		expect(await approvals.decide(approvalId, 'approved', 'tech.martin', 'ok')).toBe('ok');
		const other = await connect('assist', KEYS.other);
		const foreign = (await other.callTool({ name: 'glpi_close_ticket', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(textOf(foreign)).toMatch(/belongs to another requester/);
		expect((await other.callTool({ name: 'safeguard_status', arguments: { approvalId } })) as CallToolResult).toMatchObject({ structuredContent: { status: 'not_found' } });
		const changed = (await assist.callTool({ name: 'glpi_close_ticket', arguments: { ...args, solution: 'autre chose', safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(textOf(changed)).toMatch(/other arguments/);
		expect(closes()).toBe(before);

		const done = (await assist.callTool({ name: 'glpi_close_ticket', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(done.isError).toBeFalsy();
		expect(done.structuredContent).toMatchObject({ ticketId, status: 6 });
		const replay = (await assist.callTool({ name: 'glpi_close_ticket', arguments: { ...args, safeguardApprovalId: approvalId } })) as CallToolResult;
		expect(textOf(replay)).toMatch(/already used/);
		const audit = (await probe.redis.xrange(`${prefix}safeguard:audit`, '-', '+')).map(([, fields]) => fields.join(' '));
		expect(audit.filter((entry) => entry.includes(approvalId) && /refused:(foreign|mismatch|executed)/.test(entry))).toHaveLength(3);
	});

	it('the hardening holds on this face: a per-agent quota of pending requests, and no digest in what the agent sees', async () => {
		const flood = await connect('assist', KEYS.other);
		const answers: string[] = [];
		for (let i = 0; i < 11; i++) {
			const result = (await flood.callTool({ name: 'glpi_close_ticket', arguments: { ticketId: 1000 + i, solution: `spam ${i}`, safeguardConfidence: 99 } })) as CallToolResult;
			answers.push(textOf(result));
		}
		expect(answers.slice(0, 10).every((answer) => /needs a technician's approval/.test(answer))).toBe(true);
		expect(answers[10]).toMatch(/too many approval requests waiting for this requester \(10, at most 10\)/);
		for (const answer of answers) expect(answer).not.toMatch(/[0-9a-f]{64}/);
	});

	it('seed-compatible JSON: GET /mcp/tools lists tools with their levels; POST /mcp/call runs one', async () => {
		const tools = await fetch(`${runtime.url}/mcp/tools`, { headers: { 'x-api-key': KEYS.sentinel } });
		const listed = (await tools.json()) as { toolsets: Record<string, Array<{ name: string; level: number }>> };
		expect(Object.keys(listed.toolsets)).toEqual(['sentinel']);
		expect(listed.toolsets.sentinel.find((tool) => tool.name === 'observium_device_status')).toMatchObject({ level: 0 });
		const call = await fetch(`${runtime.url}/mcp/call`, {
			method: 'POST',
			headers: { 'x-api-key': KEYS.sentinel, 'content-type': 'application/json' },
			body: JSON.stringify({ name: 'observium_device_status', arguments: { device: 'EHPAD-Bellevue-RTR01' }, confidence: 90 }),
		});
		expect(call.status).toBe(200);
		expect(await call.json()).toMatchObject({ structuredContent: { hostname: 'EHPAD-Bellevue-RTR01' } });
	});

	it('/metrics counts calls by tool and outcome, Safeguard decisions', async () => {
		const text = await (await fetch(`${runtime.url}/metrics`)).text();
		expect(text).toMatch(/widip_mcp_calls_total\{tool="observium_device_status",outcome="ok"\} \d+/);
		expect(text).toMatch(/widip_mcp_calls_total\{tool="glpi_close_ticket",outcome="approval_required"\} 1/);
		expect(text).toMatch(/widip_safeguard_decisions_total\{outcome="allowed"\}/);
		expect(text).toMatch(/widip_mcp_call_duration_seconds_bucket/);
		expect(text).not.toContain(KEYS.sentinel);
	});

	it('a body over the limit is refused with 413', async () => {
		const response = await fetch(`${runtime.url}/mcp/sentinel`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'x-api-key': KEYS.sentinel, accept: 'application/json, text/event-stream' },
			body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'observium_device_status', arguments: { device: 'x'.repeat(300 * 1024) } } }),
		});
		expect(response.status).toBe(413);
	});

	it('no catalogue L4 operation is in any toolset', () => {
		expect(catalogue.list().filter((operation) => operation.level === 4).length).toBeGreaterThan(0);
	});
});
