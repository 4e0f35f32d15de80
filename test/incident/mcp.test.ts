import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

import { Coordination } from '../../core/redis/coordination';
import { KEYS, startRuntime, type McpRuntime } from '../mcp/runtime';
import { REDIS_HOST, REDIS_PORT } from '../support/redis';
import { observiumAlert } from './support';

/**
 * What an agent sees of incidents through `widip serve`'s MCP server (official SDK client): the
 * record intake wrote, read with the L0 tools; intake itself is no tool at all, on any toolset.
 */
describe('incidents over MCP', () => {
	let mcp: McpRuntime;
	let probe: Coordination;
	const clients: Client[] = [];

	beforeAll(async () => {
		mcp = await startRuntime('incmcp');
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: mcp.prefix });
	});
	afterAll(async () => {
		for (const client of clients) await client.close().catch(() => undefined);
		await probe?.close();
		await mcp?.close();
	});

	async function connect(toolset: string, key: string): Promise<Client> {
		const client = new Client({ name: 'widip-test', version: '1' });
		await client.connect(new StreamableHTTPClientTransport(new URL(`${mcp.runtime.url}/mcp/${toolset}`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
		clients.push(client);
		return client;
	}

	it('the Sentinel reads the incident the flow opened, with its devices; it cannot intake, review or claim', async () => {
		const opened = await probe.incidents.intake(observiumAlert({ host: 'EHPAD-Mcp-RTR01', location: 'EHPAD Mcp', at: Date.now() - 1_000 }));
		const sentinel = await connect('sentinel', KEYS.sentinel);
		const names = (await sentinel.listTools()).tools.map((tool) => tool.name);
		expect(names).toEqual(expect.arrayContaining(['incident_get', 'incident_list']));
		expect(names.filter((name) => /^(incident_(intake|review|claim_diagnosis|save_diagnosis)|breaker_(check|record)|claim_)/.test(name))).toEqual([]);

		const got = (await sentinel.callTool({ name: 'incident_get', arguments: { incidentId: opened.incident!.id } })) as CallToolResult;
		expect(got.isError).toBeFalsy();
		expect(got.structuredContent).toMatchObject({ found: true, incident: { id: opened.incident!.id, status: 'open', devices: [{ hostname: 'EHPAD-Mcp-RTR01', state: 'failed' }] } });
		const listed = (await sentinel.callTool({ name: 'incident_list', arguments: {} })) as CallToolResult;
		expect((listed.structuredContent as { incidents: Array<{ id: string }> }).incidents.map((incident) => incident.id)).toContain(opened.incident!.id);

		const intake = (await sentinel.callTool({ name: 'incident_intake', arguments: { alert: observiumAlert({ host: 'EHPAD-Mcp-SW01', at: Date.now() - 1_000 }) } })) as CallToolResult;
		expect(intake.isError).toBe(true);
		expect(await probe.redis.zcard(probe.incidents.keys.open)).toBe(1);
	});
});
