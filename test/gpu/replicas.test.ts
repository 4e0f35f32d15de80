import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { Ollama } from 'ollama';

import type { Coordination } from '../../core/redis/coordination';
import { buildGpuProxy, startGpuProxy, type GpuProxy } from '../../runtime/gpu/proxy';
import { createFakeOllama, type FakeOllama } from '../../sandbox/simulators/ollama';
import { connectTest, dropPrefix } from '../support/redis';
import { overlaps, sleep, until } from '../support/waiting';

jest.setTimeout(60_000);

const REPLICA = path.join(__dirname, '../support/gpu-replica.ts');
const MODEL = 'qwen2.5:7b';
const LEASE_MS = 1000;

/**
 * Two proxy replicas in front of one backend share its slot through Redis (a leased semaphore):
 * one in this process, one in a child process that the test kills mid-request.
 */
describe('GPU proxy replicas sharing one backend through Redis', () => {
	let coordination: Coordination;
	let fake: FakeOllama;
	let fakeUrl: string;
	let local: GpuProxy;
	let localUrl: string;
	let child: ChildProcess;
	let childUrl: string;

	beforeAll(async () => {
		coordination = await connectTest('gpu-replicas', { reconnect: true });
		const prefix = coordination.config.keyPrefix;
		fake = createFakeOllama({ models: [MODEL] });
		fakeUrl = await fake.start();
		local = buildGpuProxy(
			{
				backends: [{ name: 'gpu0', url: fakeUrl, slots: 1 }],
				keys: [],
				defaultPriority: 'assist',
				scheduler: { queueLimit: 100, maxWaitMs: 60_000, agingMs: 30_000, affinityWindowMs: 0 },
				leaseMs: LEASE_MS,
				modelRefreshMs: 60_000,
			},
			{ shared: { redis: coordination.redis, prefix } },
		);
		localUrl = await startGpuProxy(local, '127.0.0.1', 0);
		// `node --import tsx` (not the tsx wrapper): the pid we kill is the replica itself.
		child = spawn(process.execPath, ['--import', 'tsx', REPLICA, fakeUrl, prefix, String(LEASE_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
		childUrl = await new Promise<string>((resolve, reject) => {
			let out = '';
			child.stdout!.on('data', (chunk: Buffer) => {
				out += chunk.toString();
				if (out.includes('\n')) resolve(out.trim());
			});
			child.once('exit', (code) => reject(new Error(`replica exited ${code}`)));
		});
	});
	afterAll(async () => {
		child?.kill('SIGKILL');
		await local?.close();
		await fake?.stop();
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('20 concurrent requests spread over both replicas: still one generation at a time', async () => {
		fake.configure({ latencyMs: 5, tokens: 4 });
		fake.reset();
		const body = JSON.stringify({ model: MODEL, prompt: 'x', stream: false });
		const answers = await Promise.all(
			Array.from({ length: 20 }, (_, index) => fetch(`${index % 2 ? childUrl : localUrl}/api/generate`, { method: 'POST', body })),
		);
		expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
		expect(fake.records()).toHaveLength(20);
		expect(fake.maxConcurrency).toBe(1);
		expect(overlaps(fake.records())).toBe(0);
	});

	it('a replica killed mid-request frees its slot within the lease time', async () => {
		fake.configure({ latencyMs: 0, tokensPerSecond: 10, tokens: 200 });
		fake.reset();
		// The child replica streams a long answer (20 s at this pace) and holds the shared slot.
		const held = new Ollama({ host: childUrl }).chat({ model: MODEL, messages: [{ role: 'user', content: 'long' }], stream: true }).then(
			async (stream) => {
				try {
					for await (const part of stream) void part;
				} catch {
					// the replica it talks to is killed: expected
				}
			},
			() => undefined,
		);
		await until('the child to stream', () => fake.active === 1);
		fake.configure({ tokensPerSecond: 0, tokens: 4 });
		const waiting = fetch(`${localUrl}/api/generate`, { method: 'POST', body: JSON.stringify({ model: MODEL, prompt: 'next', stream: false }) });
		await until('the local replica to queue', () => local.scheduler.depth === 1);
		await sleep(300);
		expect(fake.records()).toHaveLength(1); // the slot is taken elsewhere: the local replica waits
		const killedAt = performance.now();
		child.kill('SIGKILL');
		expect((await waiting).status).toBe(200);
		await held;
		const [first, second] = fake.records();
		expect(first.aborted).toBe(true);
		const freedAfter = second.startedAt - killedAt;
		// The lease had between 0 and LEASE_MS left when the holder died; renewals every third.
		expect(freedAfter).toBeLessThan(LEASE_MS + 250);
		expect(second.startedAt).toBeGreaterThan(first.abortedAt!);
		expect(fake.maxConcurrency).toBe(1);
	});
});
