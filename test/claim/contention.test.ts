import path from 'node:path';

import { Coordination } from '../../core/redis/coordination';
import { spawnTs, type LineChild } from '../support/child-lines';
import { connectTest, dropPrefix, testConfig } from '../support/redis';

const WORKER = path.join(__dirname, '../support/claim-worker.ts');
const started: LineChild[] = [];
const spawnWorker = (args: string[]) => {
	const child = spawnTs(WORKER, args);
	started.push(child);
	return child;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ticket claims under contention (real Redis, several processes)', () => {
	let coordination: Coordination;

	beforeAll(async () => {
		coordination = await connectTest('claimrace');
	});
	afterEach(async () => {
		for (const child of started.splice(0)) if (child.process.exitCode === null && child.process.signalCode === null) child.kill();
		await dropPrefix(coordination);
	});
	afterAll(async () => {
		await coordination.close();
	});

	it.each([1, 2])('15 workers in 3 processes share 60 tickets: every ticket handled exactly once (round %i)', async () => {
		const prefix = coordination.config.keyPrefix;
		const children = [0, 1, 2].map(() => spawnWorker([prefix, 'work', '5', '60', '30']));
		for (const child of children) expect(JSON.parse(await child.line(0))).toEqual({ ready: true });
		const startAt = Date.now() + 150;
		for (const child of children) child.send(`${startAt}\n`);
		const summaries = (await Promise.all(children.map((child) => child.done))).map((out) => JSON.parse(out.trim().split('\n').pop()!));

		const handled = (await coordination.redis.lrange(`${prefix}test:handled`, 0, -1)).map((line) => Number(line.split(' ')[0]));
		expect(handled).toHaveLength(60);
		expect([...handled].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
		expect(summaries.reduce((sum, s) => sum + s.handled, 0)).toBe(60);
		expect(summaries.reduce((sum, s) => sum + s.refusedCompletes, 0)).toBe(0);
		// they did contend: claims were refused because another worker held or had done the ticket
		expect(summaries.reduce((sum, s) => sum + s.held + s.done, 0)).toBeGreaterThan(60);
		for (let id = 1; id <= 60; id++) expect((await coordination.claims.claim(id)).claimed).toBe(false);
	}, 60_000);

	it('a worker SIGKILLed while holding a claim: its ticket goes to another worker once the TTL ends, not before', async () => {
		const prefix = coordination.config.keyPrefix;
		const ttlSeconds = 5;
		const holder = spawnWorker([prefix, 'hold', '77', String(ttlSeconds)]);
		const held = JSON.parse(await holder.line(0)) as { claimed: boolean; expiresAt: number };
		expect(held.claimed).toBe(true);
		holder.kill();
		await holder.done.catch(() => undefined);

		// Five live workers, each on its own connection, keep trying it; the first to get it handles it.
		const workers = await Promise.all(Array.from({ length: 5 }, () => Coordination.connect({ ...testConfig('unused'), keyPrefix: prefix })));
		let heldAnswers = 0;
		let stop = false;
		const winner = await new Promise<{ worker: number; claimedAt: number }>((resolve, reject) => {
			const fail = (error: unknown) => {
				stop = true;
				reject(error);
			};
			workers.forEach((c, worker) => {
				void (async () => {
					while (!stop) {
						const claim = await c.claims.claim(77, { ttlSeconds, owner: `live-${worker}` });
						if (stop) return;
						if (claim.claimed) {
							stop = true;
							await c.redis.rpush(`${prefix}test:handled`, `77 live-${worker}`);
							await c.claims.complete(77, claim.token);
							return resolve({ worker, claimedAt: claim.expiresAt - ttlSeconds * 1000 });
						}
						if (claim.reason === 'done') return fail(new Error('ticket 77 done without being handled'));
						// another live worker's claim landed while ours was on its way: it has the ticket
						if (claim.owner?.startsWith('live-')) return;
						heldAnswers++;
						// the dead worker's claim is still there, under its owner, until exactly its expiry
						expect(claim).toMatchObject({ reason: 'held', owner: expect.stringMatching(/^killed-\d+$/), heldUntil: held.expiresAt });
						await sleep(20);
					}
				})().catch(fail);
			});
		});
		await Promise.all(workers.map((c) => c.close()));
		expect(heldAnswers).toBeGreaterThan(50);
		// Redis's clock: the new claim was taken at or after the dead claim's expiry, promptly
		expect(winner.claimedAt).toBeGreaterThanOrEqual(held.expiresAt);
		expect(winner.claimedAt - held.expiresAt).toBeLessThan(500);
		expect(await coordination.redis.lrange(`${prefix}test:handled`, 0, -1)).toEqual([`77 live-${winner.worker}`]);
		expect(await coordination.claims.claim(77)).toMatchObject({ claimed: false, reason: 'done' });
	}, 30_000);
});
