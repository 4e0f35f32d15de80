import { INITIALIZE, KEYS, MCP_HEADERS, rawRequest, startRuntime, type McpRuntime } from './runtime';

jest.setTimeout(60_000);

const CALL = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'observium_device_status', arguments: { device: 'EHPAD-Bellevue-RTR01' } } });

/**
 * The MCP server's limits, seen from HTTP: the per-key rate limit, Host/Origin checks against DNS
 * rebinding (node:http, since fetch cannot set Host), legacy SSE sessions bound to their agent,
 * and the stateless endpoint's answer to GET.
 */
describe('MCP per-key rate limit (WIDIP_MCP_RATE_LIMIT=5)', () => {
	let mcp: McpRuntime;

	beforeAll(async () => {
		mcp = await startRuntime('mcplimit', { WIDIP_MCP_RATE_LIMIT: '5' });
	});
	afterAll(async () => {
		await mcp?.close();
	});

	const call = async (toolset: string, key: string, body = CALL) =>
		await rawRequest(mcp.port, 'POST', `/mcp/${toolset}`, { ...MCP_HEADERS, authorization: `Bearer ${key}` }, body);

	it('the 6th call in a minute by one key is 429 with retry-after and a message naming the agent and the limit; other keys go on', async () => {
		for (let i = 1; i <= 5; i++) {
			const ok = await call('sentinel', KEYS.sentinel);
			expect(ok.status).toBe(200);
			expect(JSON.parse(ok.body)).toMatchObject({ id: 2, result: { structuredContent: { hostname: 'EHPAD-Bellevue-RTR01' } } });
		}
		const limited = await call('sentinel', KEYS.sentinel);
		expect(limited.status).toBe(429);
		expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
		expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
		expect(limited.headers['content-type']).toMatch(/application\/json/);
		const body = JSON.parse(limited.body) as { error: string; message: string };
		expect(body.error).toBe('rate_limited');
		expect(body.message).toMatch(/agent "sentinel"/);
		expect(body.message).toMatch(/more than 5 calls in a minute; retry in /);

		// Another agent's key has its own budget, on its own toolset as on a shared one.
		expect((await call('assist', KEYS.assist, INITIALIZE)).status).toBe(200);
		expect((await call('assist', KEYS.other, INITIALIZE)).status).toBe(200);
		// The limited key stays limited.
		expect((await call('sentinel', KEYS.sentinel)).status).toBe(429);
	});

	it('/metrics counts the refusals by agent, never for the others', async () => {
		const text = await (await fetch(`${mcp.runtime.url}/metrics`)).text();
		const count = /widip_mcp_rate_limited_total\{agent="sentinel"\} (\d+)/.exec(text);
		expect(Number(count?.[1])).toBeGreaterThanOrEqual(1);
		expect(text).not.toMatch(/widip_mcp_rate_limited_total\{agent="(assist|other)"\}/);
	});

	it('a request refused for its Host is not counted (the check comes before the limit)', async () => {
		for (let i = 0; i < 6; i++) {
			const refused = await rawRequest(mcp.port, 'POST', '/mcp/sentinel', { ...MCP_HEADERS, host: 'evil.example.com', authorization: `Bearer ${KEYS.other}` }, INITIALIZE);
			expect(refused.status).toBe(403);
		}
		expect((await call('assist', KEYS.other, INITIALIZE)).status).toBe(200);
	});

	// @fastify/rate-limit gives each route configured with `config.rateLimit` a store of its own,
	// which once gave a key its budget again on every route: the limiter is one shared preHandler.
	it('the budget is one per key across the MCP routes (/mcp/call after /mcp/<toolset>)', async () => {
		for (let i = 0; i < 3; i++) expect((await call('assist', KEYS.assist, INITIALIZE)).status).toBe(200);
		const seed = async () =>
			await rawRequest(
				mcp.port,
				'POST',
				'/mcp/call',
				{ 'content-type': 'application/json', authorization: `Bearer ${KEYS.assist}` },
				JSON.stringify({ name: 'glpi_get_ticket', arguments: { ticketId: 1 } }),
			);
		// assist made 1 call in the first test and 3 here: /mcp/call may take one more, then 429.
		expect((await seed()).status).toBe(200);
		expect((await seed()).status).toBe(429);
	});
});

describe('MCP Host/Origin checks, legacy SSE sessions, GET on the stateless endpoint', () => {
	let mcp: McpRuntime;

	beforeAll(async () => {
		mcp = await startRuntime('mcphost', { WIDIP_MCP_ALLOWED_HOSTS: 'widip-runtime' });
	});
	afterAll(async () => {
		await mcp?.close();
	});

	const post = async (headers: Record<string, string>, path = '/mcp/sentinel') => await rawRequest(mcp.port, 'POST', path, { ...MCP_HEADERS, ...headers }, INITIALIZE);

	describe('DNS rebinding', () => {
		it('Host evil.example.com is 403 before authentication: with a valid key, with none', async () => {
			const withKey = await post({ host: 'evil.example.com', authorization: `Bearer ${KEYS.sentinel}` });
			expect(withKey.status).toBe(403);
			expect(JSON.parse(withKey.body)).toMatchObject({ error: 'forbidden', message: expect.stringMatching(/Host "evil\.example\.com"/) });
			const withoutKey = await post({ host: 'evil.example.com' });
			expect(withoutKey.status).toBe(403);
			expect(withoutKey.headers['www-authenticate']).toBeUndefined();
			expect((await post({ host: `evil.example.com:${mcp.port}`, 'x-api-key': KEYS.sentinel })).status).toBe(403);
		});

		it('Host localhost:<port> (and 127.0.0.1:<port>) is served', async () => {
			const local = await post({ host: `localhost:${mcp.port}`, authorization: `Bearer ${KEYS.sentinel}` });
			expect(local.status).toBe(200);
			expect(JSON.parse(local.body)).toMatchObject({ result: { serverInfo: { name: 'widip' } } });
			expect((await post({ host: `127.0.0.1:${mcp.port}`, authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(200);
			// Without a key a good Host reaches authentication: 401.
			expect((await post({ host: `localhost:${mcp.port}` })).status).toBe(401);
		});

		it('Origin http://evil.example.com is 403 even with a good Host and key; a local Origin is served', async () => {
			const evil = await post({ host: `localhost:${mcp.port}`, origin: 'http://evil.example.com', authorization: `Bearer ${KEYS.sentinel}` });
			expect(evil.status).toBe(403);
			expect(JSON.parse(evil.body).message).toMatch(/Origin "http:\/\/evil\.example\.com" is not allowed/);
			expect((await post({ host: `localhost:${mcp.port}`, origin: `http://localhost:${mcp.port}`, authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(200);
		});

		it('WIDIP_MCP_ALLOWED_HOSTS=widip-runtime: Host widip-runtime:8080 is served, a look-alike is not', async () => {
			expect((await post({ host: 'widip-runtime:8080', authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(200);
			expect((await post({ host: 'widip-runtime:8080', origin: 'http://widip-runtime:8080', authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(200);
			expect((await post({ host: 'widip-runtime.evil.example.com', authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(403);
			expect((await post({ host: 'other-runtime:8080', authorization: `Bearer ${KEYS.sentinel}` })).status).toBe(403);
		});
	});

	describe('legacy SSE', () => {
		/** Opens GET /mcp/<toolset>/sse and reads the endpoint event; the stream stays open until close(). */
		async function openSession(toolset: string, key: string) {
			const controller = new AbortController();
			const response = await fetch(`${mcp.runtime.url}/mcp/${toolset}/sse`, {
				headers: { accept: 'text/event-stream', authorization: `Bearer ${key}` },
				signal: controller.signal,
			});
			expect(response.status).toBe(200);
			const reader = response.body!.getReader();
			const decoder = new TextDecoder();
			let seen = '';
			const next = async (pattern: RegExp): Promise<RegExpExecArray> => {
				for (;;) {
					const found = pattern.exec(seen);
					if (found) return found;
					const { value, done } = await reader.read();
					if (done) throw new Error(`SSE stream ended before ${pattern}: ${seen}`);
					seen += decoder.decode(value, { stream: true });
				}
			};
			const endpoint = (await next(/event: endpoint\ndata: (\S+)\n/))[1];
			return {
				endpoint,
				sessionId: new URL(endpoint, mcp.runtime.url).searchParams.get('sessionId')!,
				next,
				close: async () => {
					controller.abort();
					await reader.cancel().catch(() => undefined);
				},
			};
		}

		const postMessage = async (path: string, key: string) =>
			await fetch(`${mcp.runtime.url}${path}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
				body: INITIALIZE,
			});

		it("a session opened by one agent is not found for another agent's key, nor on another toolset, nor once closed", async () => {
			const session = await openSession('sentinel', KEYS.sentinel);
			try {
				expect(session.endpoint).toMatch(/^\/mcp\/sentinel\/messages\?sessionId=/);
				// Another agent (whose own toolset is assist) and the same id: 404, nothing runs.
				const foreign = await postMessage(session.endpoint, KEYS.other);
				expect(foreign.status).toBe(404);
				expect(await foreign.json()).toMatchObject({ error: 'not_found' });
				expect((await postMessage(session.endpoint, KEYS.assist)).status).toBe(404);
				// The owner on another toolset's path: 404 too.
				expect((await postMessage(`/mcp/assist/messages?sessionId=${session.sessionId}`, KEYS.sentinel)).status).toBe(404);
				// The owner is served: 202, the answer comes on the stream.
				expect((await postMessage(session.endpoint, KEYS.sentinel)).status).toBe(202);
				const answer = JSON.parse((await session.next(/event: message\ndata: (.+)\n/))[1]) as { id: number; result: { serverInfo: { name: string } } };
				expect(answer).toMatchObject({ id: 1, result: { serverInfo: { name: 'widip' } } });
			} finally {
				await session.close();
			}
			// Closed by the client: the id names nothing any more.
			const deadline = Date.now() + 5_000;
			let status = 0;
			while (Date.now() < deadline && (status = (await postMessage(session.endpoint, KEYS.sentinel)).status) !== 404) await new Promise((resolve) => setTimeout(resolve, 50));
			expect(status).toBe(404);
		});

		it('an unknown or missing sessionId is 404', async () => {
			expect((await postMessage('/mcp/sentinel/messages?sessionId=00000000-0000-4000-8000-000000000000', KEYS.sentinel)).status).toBe(404);
			expect((await postMessage('/mcp/sentinel/messages', KEYS.sentinel)).status).toBe(404);
		});
	});

	it('GET and DELETE on /mcp/sentinel answer 405 with allow: POST (stateless: no stream, no session)', async () => {
		for (const method of ['GET', 'DELETE']) {
			const response = await rawRequest(mcp.port, method, '/mcp/sentinel', { accept: 'text/event-stream', authorization: `Bearer ${KEYS.sentinel}` });
			expect(response.status).toBe(405);
			expect(response.headers.allow).toBe('POST');
			expect(JSON.parse(response.body)).toMatchObject({ error: 'method_not_allowed' });
		}
	});
});
