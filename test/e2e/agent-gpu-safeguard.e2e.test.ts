import { Coordination } from '../../core/redis/coordination';
import { Approvals } from '../../core/safeguard/approvals';
import { buildGpuProxy, startGpuProxy, type GpuProxy } from '../../runtime/gpu/proxy';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { createFakeOllama, type FakeOllama } from '../../sandbox/simulators/ollama';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

jest.setTimeout(300_000);

const GPU_KEY = 'assist-gpu-key-0123456789abcdef';

/**
 * n8n's own AI Agent with its own Ollama Chat Model, pointed at our GPU proxy (Ollama credential
 * unchanged but for the URL and key), in front of the scripted Ollama, which asks to call our GLPI
 * node as a tool (`n8n-nodes-widip.glpiTool`) to close a ticket: Safeguard L3. The tool answers
 * "approval required" with a request id; GLPI never hears of it.
 */
describe('AI Agent in real n8n → GPU proxy → scripted Ollama → Safeguard on an L3 tool', () => {
	const prefix = testPrefix('agent');
	let probe: Coordination;
	let harness: N8nHarness;
	let fake: FakeOllama;
	let gpu: GpuProxy;
	let glpi: GlpiSimulator;

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		fake = createFakeOllama({
			models: ['qwen2.5:7b'],
			scenario: [
				{
					match: { lastUserContains: 'ticket 1', lastRole: 'user' },
					reply: {
						tool_calls: [
							{
								function: {
									name: 'Close_Ticket',
									arguments: { ticketId: 1, solution: 'Imprimante redémarrée', safeguardConfidence: 95, safeguardReason: "L'utilisateur confirme", safeguardApprovalId: '' },
								},
							},
						],
					},
				},
				{ match: { lastRole: 'tool' }, reply: { content: "Un technicien doit approuver la fermeture du ticket 1 ; rien n'a été fait." } },
			],
		});
		const fakeUrl = await fake.start();
		gpu = buildGpuProxy({
			backends: [{ name: 'gpu0', url: fakeUrl, slots: 1 }],
			keys: [{ name: 'assist', key: GPU_KEY, priority: 'assist' }],
			defaultPriority: 'assist',
			scheduler: { queueLimit: 16, maxWaitMs: 60_000, agingMs: 30_000, affinityWindowMs: 2000 },
			leaseMs: 10_000,
			modelRefreshMs: 60_000,
		});
		const gpuUrl = await startGpuProxy(gpu, '127.0.0.1', 0);
		glpi = createGlpiSimulator({ appToken: 'app-token-agent-e2e' });
		const glpiUrl = `${await glpi.start()}/apirest.php`;
		harness = await N8nHarness.create();
		await harness.importCredentials([
			{ id: 'widipE2eOllama01', name: 'Ollama via GPU proxy (e2e)', type: 'ollamaApi', data: { baseUrl: gpuUrl, apiKey: GPU_KEY } },
			{
				id: 'widipE2eAgGlpi01',
				name: 'WIDIP GLPI (agent e2e)',
				type: 'widipGlpiApi',
				data: { url: glpiUrl, appToken: 'app-token-agent-e2e', authMethod: 'userToken', userToken: 'widip-sim-user-token', timeZone: 'UTC', timeoutMs: 5000 },
			},
			{
				id: 'widipE2eAgRedis1',
				name: 'WIDIP Safeguard (agent e2e)',
				type: 'widipSafeguardApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: prefix, timeoutMs: 3000 },
			},
		]);
		await harness.importWorkflows([loadWorkflow('agent-safeguard.json')]);
	}, 40 * 60_000);
	afterAll(async () => {
		harness?.dispose();
		await gpu?.close();
		await fake?.stop();
		await glpi?.stop();
		if (probe) {
			const keys = await probe.redis.keys(`${prefix}*`);
			if (keys.length > 0) await probe.redis.del(...keys);
			await probe.close();
		}
	});

	it('the agent is told "approval required"; GLPI never hears of it; a request waits for a technician', async () => {
		const result = await harness.execute('widipE2eAgentSg1');
		if (!result.ok) throw new Error(`execution failed: ${JSON.stringify(result.error)}\n${result.output.slice(-3000)}`);
		expect(String(outputItems(result, 'Agent')[0]?.output)).toMatch(/technicien doit approuver/);

		// The tool's answer, as the agent read it.
		const toolRuns = result.runData['Close Ticket'] ?? [];
		expect(JSON.stringify(toolRuns)).toMatch(/approval_required/);

		// GLPI: not even a session was opened.
		expect(glpi.requests).toEqual([]);

		// The request a technician will see, bound to the agent's exact arguments.
		const approvals = new Approvals(probe.redis, prefix);
		const ids = await probe.redis.zrange(approvals.indexKey, '0', '-1');
		expect(ids).toHaveLength(1);
		expect(await approvals.get(ids[0])).toMatchObject({
			operationId: 'glpi.close_ticket',
			status: 'pending',
			level: 3,
			confidence: 95,
			reason: "L'utilisateur confirme",
			arguments: expect.objectContaining({ ticketId: 1, solution: 'Imprimante redémarrée' }),
			requester: expect.objectContaining({ face: 'tool', node: 'Close Ticket', workflow: 'widipE2eAgentSg1' }),
		});

		// Both model calls went through the GPU queue, one at a time, in the key's class.
		const calls = fake.records();
		expect(calls.map((call) => [call.path, call.priorityHeader])).toEqual([
			['/api/chat', 'assist'],
			['/api/chat', 'assist'],
		]);
		expect(fake.maxConcurrency).toBe(1);
		expect(result.output).not.toContain(GPU_KEY);
		expect(result.output).not.toContain('widip-sim-user-token');
	});
});
