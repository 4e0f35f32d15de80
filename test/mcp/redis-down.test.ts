import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

import { serve, type Serving } from '../../runtime/serve';
import { spawnRedis, type SpawnedRedis } from '../support/redis';

jest.setTimeout(60_000);

const KEY = 'sentinel-key-0123456789abcdefghij';

/** Redis (Safeguard's store) goes away under the MCP server: a call gets a tool error, nothing runs, the server lives on. */
describe('MCP call while Safeguard cannot reach Redis (private redis-server)', () => {
	let redis: SpawnedRedis;
	let runtime: Serving;
	let client: Client;

	beforeAll(async () => {
		redis = await spawnRedis();
		runtime = await serve(
			{
				WIDIP_PORT: '0',
				WIDIP_REDIS_HOST: '127.0.0.1',
				WIDIP_REDIS_PORT: String(redis.port),
				WIDIP_AGENT_KEYS: `sentinel:${KEY}`,
				WIDIP_MCP_TOOLSETS: '{"sentinel": ["observium.normalize_alert"]}',
				// normalize_alert never calls Observium, but the operation belongs to its client.
				WIDIP_OBSERVIUM_URL: 'http://127.0.0.1:9/api/v0',
				WIDIP_OBSERVIUM_USERNAME: 'unused',
				WIDIP_OBSERVIUM_PASSWORD: 'unused-password',
			},
			{ quiet: true },
		);
		client = new Client({ name: 'redis-down', version: '1' });
		await client.connect(new StreamableHTTPClientTransport(new URL(`${runtime.url}/mcp/sentinel`), { requestInit: { headers: { 'x-api-key': KEY } } }));
	});
	afterAll(async () => {
		await client?.close().catch(() => undefined);
		await runtime?.close().catch(() => undefined);
		await redis?.stop().catch(() => undefined);
	});

	it('answers a tool error saying nothing was done, not a protocol error, and serves again once Redis is back', async () => {
		const payload = { ALERT_STATE: 'ALERT', ALERT_ID: '12', ALERT_UNIXTIME: String(Math.floor(Date.now() / 1000)), DEVICE_HOSTNAME: 'EHPAD-Bellevue-RTR01' };
		const ok = (await client.callTool({ name: 'observium_normalize_alert', arguments: { payload } })) as CallToolResult;
		expect(ok.isError).toBeFalsy();
		await redis.stop();
		const down = (await client.callTool({ name: 'observium_normalize_alert', arguments: { payload } })) as CallToolResult;
		expect(down.isError).toBe(true);
		expect((down.content[0] as { text: string }).text).toMatch(/Safeguard could not check this call, so nothing was done/);
		redis = await spawnRedis([], redis.port);
		let again: CallToolResult | undefined;
		for (let tries = 0; tries < 40 && !(again && !again.isError); tries++) {
			if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 250));
			again = (await client.callTool({ name: 'observium_normalize_alert', arguments: { payload } })) as CallToolResult;
		}
		expect(again?.isError).toBeFalsy();
	});
});
