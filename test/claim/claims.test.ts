import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import type { Coordination } from '../../core/redis/coordination';
import { connectTest, dropPrefix } from '../support/redis';

describe('ticket claims (real Redis)', () => {
	let coordination: Coordination;
	let prefix: string;

	beforeAll(async () => {
		coordination = await connectTest('claims');
		prefix = coordination.config.keyPrefix;
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('one claimant at a time: a 128-bit token and its expiry, others told who holds it until when (never the token)', async () => {
		const first = await coordination.claims.claim(101, { ttlSeconds: 30, owner: 'assist-1' });
		if (!first.claimed) throw new Error('expected the claim');
		expect(first.token).toMatch(/^[0-9a-f]{32}$/);
		const pttl = await coordination.redis.pttl(`${prefix}claim:ticket:101`);
		expect(pttl).toBeGreaterThan(29_000);
		expect(pttl).toBeLessThanOrEqual(30_000);
		const second = await coordination.claims.claim(101, { owner: 'assist-2' });
		expect(second).toEqual({ claimed: false, reason: 'held', heldUntil: first.expiresAt, owner: 'assist-1' });
		expect(JSON.stringify(second)).not.toContain(first.token);
	});

	it('release is compare-and-delete: a wrong token changes nothing, the right one frees the ticket at once', async () => {
		const first = await coordination.claims.claim(102);
		if (!first.claimed) throw new Error('expected the claim');
		expect(await coordination.claims.release(102, 'f'.repeat(32))).toBe(false);
		expect(await coordination.claims.claim(102)).toMatchObject({ claimed: false, reason: 'held' });
		expect(await coordination.claims.release(102, first.token)).toBe(true);
		expect(await coordination.claims.release(102, first.token)).toBe(false);
		const next = await coordination.claims.claim(102);
		expect(next.claimed).toBe(true);
		// the old token cannot release the new claim
		expect(await coordination.claims.release(102, first.token)).toBe(false);
		expect(await coordination.claims.claim(102)).toMatchObject({ claimed: false, reason: 'held' });
	});

	it('renew extends only a claim the token still holds', async () => {
		const first = await coordination.claims.claim(103, { ttlSeconds: 5 });
		if (!first.claimed) throw new Error('expected the claim');
		const renewed = await coordination.claims.renew(103, first.token, 600);
		expect(renewed).toBeGreaterThan(first.expiresAt + 500_000);
		expect(await coordination.redis.pttl(`${prefix}claim:ticket:103`)).toBeGreaterThan(590_000);
		expect(await coordination.claims.claim(103)).toMatchObject({ reason: 'held', heldUntil: renewed });
		expect(await coordination.claims.renew(103, 'e'.repeat(32), 600)).toBeNull();
		await coordination.claims.release(103, first.token);
		expect(await coordination.claims.renew(103, first.token, 600)).toBeNull();
	});

	it('complete leaves a done marker: the ticket is never claimed again, even after the claim would have expired', async () => {
		const first = await coordination.claims.claim(104, { ttlSeconds: 5, owner: 'assist-1' });
		if (!first.claimed) throw new Error('expected the claim');
		const done = await coordination.claims.complete(104, first.token, { keepSeconds: 3600 });
		expect(done).toMatchObject({ completed: true, how: 'completed' });
		expect(await coordination.redis.exists(`${prefix}claim:ticket:104`)).toBe(0);
		const ttl = await coordination.redis.ttl(`${prefix}claim:done:104`);
		expect(ttl).toBeGreaterThan(3590);
		expect(ttl).toBeLessThanOrEqual(3600);
		expect(await coordination.claims.claim(104)).toEqual({ claimed: false, reason: 'done', doneAt: (done as { doneAt: number }).doneAt, owner: 'assist-1' });
		// completing again with the same token is harmless; another token is refused
		expect(await coordination.claims.complete(104, first.token)).toMatchObject({ completed: true, how: 'already' });
		expect(await coordination.claims.complete(104, 'd'.repeat(32))).toMatchObject({ completed: false, reason: 'done', owner: 'assist-1' });
		// the default keeps it 7 days
		const other = await coordination.claims.claim(105);
		if (!other.claimed) throw new Error('expected the claim');
		await coordination.claims.complete(105, other.token);
		expect(await coordination.redis.ttl(`${prefix}claim:done:105`)).toBeGreaterThan(7 * 86_400 - 10);
	});

	it('complete by a token that does not hold a claimed ticket changes nothing', async () => {
		const holder = await coordination.claims.claim(106, { owner: 'assist-2' });
		if (!holder.claimed) throw new Error('expected the claim');
		expect(await coordination.claims.complete(106, 'c'.repeat(32))).toEqual({ completed: false, reason: 'held', heldUntil: holder.expiresAt, owner: 'assist-2' });
		expect(await coordination.redis.exists(`${prefix}claim:done:106`)).toBe(0);
		expect(await coordination.claims.release(106, holder.token)).toBe(true);
	});

	it('a late complete, after the claim expired and nobody claimed the ticket since, still records it done', async () => {
		const first = await coordination.claims.claim(107, { ttlSeconds: 5, owner: 'slow-worker' });
		if (!first.claimed) throw new Error('expected the claim');
		await coordination.redis.pexpire(`${prefix}claim:ticket:107`, 1); // the claim ran out while the work finished
		await new Promise((resolve) => setTimeout(resolve, 10));
		expect(await coordination.claims.complete(107, first.token, { owner: 'slow-worker' })).toMatchObject({ completed: true, how: 'late' });
		expect(await coordination.claims.claim(107)).toMatchObject({ claimed: false, reason: 'done', owner: 'slow-worker' });
	});

	it('invalid ticket ids, TTLs, tokens and owners fail with the field named, before touching Redis', async () => {
		const cases: Array<[() => Promise<unknown>, RegExp]> = [
			[() => coordination.claims.claim(0), /Invalid ticket id 0/],
			[() => coordination.claims.claim(1.5), /Invalid ticket id/],
			[() => coordination.claims.claim(108, { ttlSeconds: 4 }), /ttlSeconds must be between 5 and 3600/],
			[() => coordination.claims.claim(108, { ttlSeconds: 3601 }), /ttlSeconds/],
			[() => coordination.claims.claim(108, { owner: 'two words' }), /owner: /],
			[() => coordination.claims.release(108, 'nope'), /token: expected the 32-character token/],
			[() => coordination.claims.complete(108, 'a'.repeat(32), { keepSeconds: 0 }), /keepSeconds/],
		];
		for (const [call, message] of cases) {
			const error = await call().catch((e: unknown) => e);
			expect(error).toBeInstanceOf(WidipError);
			expect(error).toMatchObject({ kind: 'bad_request', message: expect.stringMatching(message) });
		}
		expect(await coordination.redis.exists(`${prefix}claim:ticket:108`)).toBe(0);
	});

	describe('operations', () => {
		const run = (id: string, args: unknown) => catalogue.run(id, args, { claim: coordination }) as Promise<Record<string, any>>;

		it('are L1, workflow-only, under the resource "ticket claim"', () => {
			for (const id of ['claim.claim_ticket', 'claim.release_ticket', 'claim.renew_ticket', 'claim.complete_ticket']) {
				expect(catalogue.get(id)).toMatchObject({ level: 1, workflowOnly: true, resource: 'ticket claim' });
			}
			expect(catalogue.parseInput('claim.claim_ticket', { ticketId: 1 })).toEqual({ ticketId: 1, ttlSeconds: 300 });
			expect(() => catalogue.parseInput('claim.claim_ticket', { ticketId: 1, ttlSeconds: 2 })).toThrow(/ttlSeconds: /);
			expect(() => catalogue.parseInput('claim.complete_ticket', { ticketId: 1, token: 'x' })).toThrow(/token: expected the 32-character token/);
		});

		it('claim → held → complete → done, with ISO times and messages for technicians', async () => {
			const claimed = await run('claim.claim_ticket', { ticketId: 201, ttlSeconds: 60, owner: 'assist-1' });
			expect(claimed).toMatchObject({ claimed: true, ticketId: 201, token: expect.stringMatching(/^[0-9a-f]{32}$/), expiresAt: expect.stringMatching(/Z$/), reason: null });
			const held = await run('claim.claim_ticket', { ticketId: 201 });
			expect(held).toMatchObject({ claimed: false, reason: 'held', owner: 'assist-1', token: null, heldUntil: claimed.expiresAt });
			expect(held.message).toMatch(/^Ticket 201 is being handled by assist-1 until .*; skip it$/);
			expect(await run('claim.renew_ticket', { ticketId: 201, token: claimed.token, ttlSeconds: 120 })).toMatchObject({ renewed: true });
			expect(await run('claim.release_ticket', { ticketId: 201, token: 'b'.repeat(32) })).toMatchObject({ released: false });
			expect(await run('claim.complete_ticket', { ticketId: 201, token: claimed.token })).toMatchObject({ completed: true, how: 'completed' });
			const done = await run('claim.claim_ticket', { ticketId: 201 });
			expect(done).toMatchObject({ claimed: false, reason: 'done', owner: 'assist-1' });
			expect(done.message).toMatch(/already handled by assist-1 .*; skip it/);
		});
	});
});
