import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { Coordination } from '../../core/redis/coordination';
import { dropPrefix, freePort, REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';
import { N8nHarness, outputItems } from './harness';

const EXAMPLE = path.join(__dirname, '../../workflows/examples/llm-mutex-pattern.json');

/** The README's Acquire → work → Release pattern, as shipped in workflows/examples, in real n8n. */
describe('LLM Mutex pattern example in real n8n', () => {
	const prefix = testPrefix('pattern');
	let harness: N8nHarness;
	let probe: Coordination;
	let ollama: http.Server;
	let ollamaUrl: string;
	let deadUrl: string;

	/** The example with its Ollama URL pointed somewhere of the test's choosing. */
	function example(id: string, url: string): object {
		const workflow = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
		const generate = workflow.nodes.find((node: { name: string }) => node.name === 'Generate');
		generate.parameters.url = url;
		return { ...workflow, id };
	}

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		// a stand-in generation endpoint that checks the GPU lock is held while it works
		ollama = http.createServer(async (_req, res) => {
			const holder = (await probe.locks.inspect('gpu')).holder;
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ response: 'Router down: power outage at site', lockHeld: holder !== null }));
		});
		await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
		ollamaUrl = `http://127.0.0.1:${(ollama.address() as AddressInfo).port}/api/generate`;
		deadUrl = `http://127.0.0.1:${await freePort()}/api/generate`;
		harness = await N8nHarness.create();
		// the example references its credential by name only ("WIDIP Redis"), as shipped
		await harness.importCredentials([
			{
				id: 'widipE2ePattern1',
				name: 'WIDIP Redis',
				type: 'widipRedisApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: prefix, timeoutMs: 3000 },
			},
		]);
		await harness.importWorkflows([example('widipE2ePatternOk', ollamaUrl), example('widipE2ePatternKo', deadUrl)]);
	}, 40 * 60_000);

	afterAll(async () => {
		await dropPrefix(probe);
		await probe.close();
		ollama?.close();
		harness?.dispose();
	});

	it('holds the lock during the work and releases it after success', async () => {
		const result = await harness.execute('widipE2ePatternOk');
		expect(result.ok).toBe(true);
		expect(outputItems(result, 'Generate')[0]).toMatchObject({ lockHeld: true });
		expect(outputItems(result, 'Release GPU')[0]).toMatchObject({ released: true });
		expect(result.runData['Release GPU (error path)']).toBeUndefined();
		expect((await probe.locks.inspect('gpu')).holder).toBeNull();
	}, 180_000);

	it('releases the lock on the error path when the work fails', async () => {
		const result = await harness.execute('widipE2ePatternKo');
		expect(outputItems(result, 'Generate', 1)[0]).toHaveProperty('error');
		expect(outputItems(result, 'Release GPU (error path)')[0]).toMatchObject({ released: true });
		expect(result.runData['Release GPU']).toBeUndefined();
		expect((await probe.locks.inspect('gpu')).holder).toBeNull();
	}, 180_000);
});
