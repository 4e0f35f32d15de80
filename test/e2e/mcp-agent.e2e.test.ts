import { Coordination } from '../../core/redis/coordination';
import { serve, type Serving } from '../../runtime/serve';
import { buildGpuProxy, startGpuProxy, type GpuProxy } from '../../runtime/gpu/proxy';
import { createFakeOllama, type FakeOllama } from '../../sandbox/simulators/ollama';
import { createObserviumSimulator, type ObserviumSimulator } from '../../sandbox/simulators/observium';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';
import { loadWorkflow, N8nHarness, outputItems, type ExecutionResult } from './harness';

jest.setTimeout(300_000);

const GPU_KEY = 'mcp-e2e-gpu-key-0123456789abcdef';
const AGENT_KEY = 'sentinel-e2e-mcp-key-0123456789abcdef';
const OBSERVIUM_PASSWORD = 'mcp-e2e-observium-password';
const DEVICE = 'EHPAD-Bellevue-RTR01';
/** n8n's MCP Client Tool offers each server tool to the model as `<node name>_<tool name>`. */
const TOOL = 'Sentinel_observium_device_status';
const FINAL_ANSWER = "Observium voit le routeur EHPAD-Bellevue-RTR01 hors ligne (ping) : le site Bellevue est injoignable, probablement le lien Phibee.";

/** What n8n's Ollama Chat Model sent to the scripted Ollama, seen behind the GPU proxy. */
interface ChatRequest {
	at: number;
	messages: Array<{ role: string; content: unknown; tool_calls?: unknown }>;
	tools: Array<{ function?: { name?: string } }>;
}

/**
 * Issue "MCP server": n8n's own AI Agent with its own Ollama Chat Model (through our GPU proxy to
 * the scripted Ollama) and n8n's own MCP Client Tool pointed at `widip serve`'s `/mcp/sentinel`.
 * The model asks for `observium_device_status`; the runtime passes the call through Safeguard
 * (face mcp, the agent key's name), asks the Observium simulator, and the model writes its final
 * answer only once the tool result is in its messages.
 */
describe('AI Agent in real n8n → MCP Client Tool → widip serve /mcp/sentinel → Observium', () => {
	const prefix = testPrefix('mcpagent');
	let probe: Coordination;
	let harness: N8nHarness;
	let fake: FakeOllama;
	let gpu: GpuProxy;
	let observium: ObserviumSimulator;
	let runtime: Serving;
	const chats: ChatRequest[] = [];

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		fake = createFakeOllama({
			models: ['qwen2.5:7b'],
			scenario: [
				{ match: { lastRole: 'tool' }, reply: { content: FINAL_ANSWER } },
				{
					match: { lastUserContains: 'bellevue', lastRole: 'user' },
					reply: { tool_calls: [{ function: { name: TOOL, arguments: { device: DEVICE } } }] },
				},
			],
		});
		// The fake records timings only: keep each chat body to see what the model was shown.
		fake.app.addHook('preHandler', async (request) => {
			if (request.method !== 'POST' || !request.url.startsWith('/api/chat')) return;
			const body = (request.body ?? {}) as Partial<ChatRequest>;
			chats.push({ at: Date.now(), messages: body.messages ?? [], tools: body.tools ?? [] });
		});
		const fakeUrl = await fake.start();
		gpu = buildGpuProxy({
			backends: [{ name: 'gpu0', url: fakeUrl, slots: 1 }],
			keys: [{ name: 'sentinel', key: GPU_KEY, priority: 'assist' }],
			defaultPriority: 'assist',
			scheduler: { queueLimit: 16, maxWaitMs: 60_000, agingMs: 30_000, affinityWindowMs: 2000 },
			leaseMs: 10_000,
			modelRefreshMs: 60_000,
		});
		const gpuUrl = await startGpuProxy(gpu, '127.0.0.1', 0);
		observium = createObserviumSimulator({ password: OBSERVIUM_PASSWORD });
		await observium.start(0, '127.0.0.1');
		// Development mode: no WIDIP_SAFEGUARD_SECRET needed; the agent key's name picks its toolset.
		runtime = await serve(
			{
				WIDIP_ENV: 'development',
				WIDIP_PORT: '0',
				WIDIP_REDIS_HOST: REDIS_HOST,
				WIDIP_REDIS_PORT: String(REDIS_PORT),
				WIDIP_REDIS_PREFIX: prefix,
				WIDIP_AGENT_KEYS: `sentinel:${AGENT_KEY}`,
				WIDIP_OBSERVIUM_URL: `${observium.url}/api/v0`,
				WIDIP_OBSERVIUM_USERNAME: observium.username,
				WIDIP_OBSERVIUM_PASSWORD: OBSERVIUM_PASSWORD,
			},
			{ quiet: true },
		);

		harness = await N8nHarness.create();
		await harness.importCredentials([
			{ id: 'widipE2eMcpOlla1', name: 'Ollama via GPU proxy (MCP e2e)', type: 'ollamaApi', data: { baseUrl: gpuUrl, apiKey: GPU_KEY } },
			{
				id: 'widipE2eMcpBear1',
				name: 'WIDIP MCP sentinel key (bearer)',
				type: 'httpBearerAuth',
				// Restricted to the runtime's host, as production credentials should be.
				data: { token: AGENT_KEY, allowedHttpRequestDomains: 'domains', allowedDomains: '127.0.0.1' },
			},
			{ id: 'widipE2eMcpHead1', name: 'WIDIP MCP sentinel key (X-API-Key)', type: 'httpHeaderAuth', data: { name: 'X-API-Key', value: AGENT_KEY } },
		]);
		const streamable = withEndpoint(loadWorkflow('mcp-agent.json'), `${runtime.url}/mcp/sentinel`);
		// The same agent over the legacy SSE transport, with the key in X-API-Key.
		const sse = withEndpoint(loadWorkflow('mcp-agent.json'), `${runtime.url}/mcp/sentinel/sse`);
		sse.id = 'widipE2eMcpAgnt2';
		sse.name = `${String(sse.name)} (legacy SSE, X-API-Key)`;
		const sseTool = sentinelNode(sse);
		Object.assign(sseTool.parameters as object, { serverTransport: 'sse', authentication: 'headerAuth' });
		sseTool.credentials = { httpHeaderAuth: { id: 'widipE2eMcpHead1', name: 'WIDIP MCP sentinel key (X-API-Key)' } };
		await harness.importWorkflows([streamable, sse]);
	}, 40 * 60_000);
	afterAll(async () => {
		harness?.dispose();
		await runtime?.close();
		await gpu?.close();
		await fake?.stop();
		await observium?.stop();
		if (probe) {
			const keys = await probe.redis.keys(`${prefix}*`);
			if (keys.length > 0) await probe.redis.del(...keys);
			await probe.close();
		}
	});

	function sentinelNode(workflow: Record<string, unknown>): Record<string, unknown> {
		return (workflow.nodes as Array<Record<string, unknown>>).find((node) => node.name === 'Sentinel')!;
	}

	function withEndpoint(workflow: Record<string, unknown>, endpointUrl: string): Record<string, unknown> {
		(sentinelNode(workflow).parameters as Record<string, unknown>).endpointUrl = endpointUrl;
		return workflow;
	}

	const deviceRequests = () => observium.requests.filter((request) => request.method === 'GET' && request.path.includes(`/devices/${DEVICE}`));

	async function run(workflowId: string): Promise<{ result: ExecutionResult; startedAt: number }> {
		chats.length = 0;
		fake.reset();
		observium.requests.length = 0;
		const startedAt = Date.now();
		const result = await harness.execute(workflowId, 240_000);
		if (!result.ok) throw new Error(`execution failed: ${JSON.stringify(result.error)}\n${result.output.slice(-4000)}`);
		return { result, startedAt };
	}

	async function expectTheWholeLoop(result: ExecutionResult, startedAt: number): Promise<void> {
		// The final answer is the scripted one, and it came from a model request made after the tool's result.
		expect(String(outputItems(result, 'Agent')[0]?.output)).toBe(FINAL_ANSWER);

		// The model was offered the runtime's tools under n8n's prefixed names.
		expect(chats).toHaveLength(2);
		const offered = chats[0].tools.map((tool) => tool.function?.name);
		expect(offered).toEqual(expect.arrayContaining([TOOL, 'Sentinel_observium_device_alerts', 'Sentinel_safeguard_status']));
		expect(offered.some((name) => String(name).includes('glpi_close_ticket'))).toBe(false);
		expect(chats[0].messages.some((message) => message.role === 'tool')).toBe(false);

		// Observium was asked for the device, between the two model requests.
		const asked = deviceRequests();
		expect(asked.length).toBeGreaterThanOrEqual(1);
		expect(asked[0].at).toBeGreaterThanOrEqual(chats[0].at);
		expect(asked[asked.length - 1].at).toBeLessThanOrEqual(chats[1].at);

		// The second model request carries the device status as a tool message.
		const toolMessages = chats[1].messages.filter((message) => message.role === 'tool');
		expect(toolMessages).toHaveLength(1);
		const toolText = typeof toolMessages[0].content === 'string' ? toolMessages[0].content : JSON.stringify(toolMessages[0].content);
		expect(toolText).toContain(DEVICE);
		expect(toolText).toMatch(/\\?"status\\?":\s*\\?"down\\?"/);

		// n8n ran its MCP Client Tool node once (the agent asks the engine to run it) and kept the runtime's answer.
		const toolRuns = result.runData.Sentinel ?? [];
		expect(toolRuns).toHaveLength(1);
		expect(toolRuns[0].executionStatus).toBe('success');
		const toolOutput = (toolRuns[0].data as unknown as { ai_tool?: Array<Array<{ json: Record<string, unknown> }>> }).ai_tool?.[0]?.[0]?.json;
		expect(toolOutput?.structuredContent).toMatchObject({ hostname: DEVICE, status: 'down', isUp: false });

		// Safeguard decided on the call as face mcp, for the agent key's name.
		const audit = await probe.redis.xrange(`${prefix}safeguard:audit`, `${startedAt}-0`, '+');
		const decisions = audit
			.map(([, flat]) => Object.fromEntries(flat.flatMap((value, index) => (index % 2 === 0 ? [[value, flat[index + 1]]] : []))) as Record<string, string>)
			.filter((entry) => entry.event === 'decision' && entry.operationId === 'observium.device_status');
		expect(decisions).toHaveLength(1);
		expect(decisions[0]).toMatchObject({ outcome: 'allow', actor: 'sentinel' });
		expect(JSON.parse(decisions[0].detail)).toMatchObject({ level: 0, requester: { face: 'mcp', agent: 'sentinel' }, arguments: { device: DEVICE } });

		// Both model calls went through the GPU queue; the agent key is nowhere in what n8n printed.
		expect(fake.records().map((call) => call.path)).toEqual(['/api/chat', '/api/chat']);
		expect(result.output).not.toContain(AGENT_KEY);
		expect(result.output).not.toContain(GPU_KEY);
		expect(result.output).not.toContain(OBSERVIUM_PASSWORD);
	}

	it('Streamable HTTP, Bearer key: the agent calls observium_device_status and answers from its result', async () => {
		const { result, startedAt } = await run('widipE2eMcpAgnt1');
		await expectTheWholeLoop(result, startedAt);
	});

	it('legacy SSE, X-API-Key: the same loop', async () => {
		const { result, startedAt } = await run('widipE2eMcpAgnt2');
		await expectTheWholeLoop(result, startedAt);
	});
});
