import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Approvals, bindingOf, type Requester } from '../../core/safeguard/approvals';
import { canonicalJson } from '../../core/safeguard/canonical';
import { connectTest, dropPrefix } from '../support/redis';
import { expireNow } from './support';

describe('Safeguard approvals (real Redis)', () => {
	let coordination: Coordination;
	let approvals: Approvals;
	const reset = catalogue.get('ad.reset_password');
	const args = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true, delivery: 'link', length: 16 };
	const requester: Requester = { face: 'tool', agent: 'assist', workflow: 'Assist', node: 'AD Tool', execution: '4812' };

	beforeAll(async () => {
		coordination = await connectTest('safeguard');
		approvals = new Approvals(coordination.redis, coordination.config.keyPrefix);
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	async function approved(extra: Partial<Parameters<Approvals['request']>[0]> = {}) {
		const request = await approvals.request({ operation: reset, args, requester, reason: 'Mot de passe oublié', confidence: 92, ...extra });
		expect(await approvals.decide(request.id, 'approved', 'tech.martin', 'appel vérifié')).toBe('ok');
		return request;
	}

	it('records a pending request with an unguessable id and a 60-minute expiry, and shows no digest', async () => {
		const request = await approvals.request({ operation: reset, args, requester, reason: 'Mot de passe oublié', confidence: 92 });
		expect(request.id).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
		expect(request).toMatchObject({ operationId: 'ad.reset_password', level: 3, status: 'pending', requester, confidence: 92 });
		expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBeGreaterThan(60 * 60_000 - 1000);
		expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBeLessThan(60 * 60_000 + 1000);
		expect(JSON.stringify(request)).not.toMatch(/digest|salt|[0-9a-f]{64}/);
	});

	it('key order canonicalises to the same binding; any other change does not', async () => {
		const reordered = { length: 16, delivery: 'link', mustChangeAtNextLogon: true, sAMAccountName: 'm.dubois' };
		expect(canonicalJson(reordered)).toBe(canonicalJson(args));
		const request = await approved();
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, sAMAccountName: 'a.martin' }, requester)).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, sAMAccountName: 'M.Dubois' }, requester)).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, extra: 1 }, requester)).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, length: 17 }, requester)).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.disable_account', { sAMAccountName: 'm.dubois' }, requester)).toBe('mismatch');
		expect((await approvals.get(request.id))!.status).toBe('approved');
		expect(await approvals.consume(request.id, 'ad.reset_password', reordered, requester)).toBe('ok');
		expect((await approvals.get(request.id))!.status).toBe('executed');
	});

	it('100 concurrent executions of one approval: exactly one runs', async () => {
		const request = await approved();
		const results = await Promise.all(Array.from({ length: 100 }, () => approvals.consume(request.id, 'ad.reset_password', args, requester)));
		expect(results.filter((result) => result === 'ok')).toHaveLength(1);
		expect(results.filter((result) => result === 'executed')).toHaveLength(99);
	});

	it('an approval is used only by the requester that asked: another workflow, node, agent or face is refused', async () => {
		const request = await approved();
		const others: Requester[] = [
			{ ...requester, workflow: 'Other workflow' },
			{ ...requester, node: 'Another AD Tool' },
			{ face: 'mcp', agent: 'assist' },
			{ face: 'gate', execution: '4812', node: 'AD Tool' },
		];
		for (const other of others) expect(await approvals.consume(request.id, 'ad.reset_password', args, other)).toBe('foreign');
		// Another execution of the same workflow and tool node is the same requester (the agent asks again later).
		expect(await approvals.consume(request.id, 'ad.reset_password', args, { ...requester, execution: '4999' })).toBe('ok');
		expect(bindingOf({ face: 'mcp', agent: 'a' })).not.toBe(bindingOf({ face: 'mcp', agent: 'b' }));
	});

	it("a Gate's approval is released to that Gate only, then runs once in its execution with the same arguments", async () => {
		const gate: Requester = { face: 'gate', agent: 'assist', workflow: 'Assist', node: 'Safeguard Gate', execution: '9001' };
		const request = await approvals.request({ operation: reset, args, requester: gate, reason: 'x' });
		expect(await approvals.release(request.id, gate)).toBe('pending');
		expect(await approvals.decide(request.id, 'approved', 'tech.martin', '')).toBe('ok');
		// A tool call (or an MCP agent) cannot consume a Gate's approval.
		expect(await approvals.consume(request.id, 'ad.reset_password', args, { ...gate, face: 'tool' })).toBe('foreign');
		expect(await approvals.consumeReleased(request.id, 'ad.reset_password', args, '9001')).toBe('not_released');
		expect(await approvals.release(request.id, { ...gate, execution: '9002' })).toBe('foreign');
		expect(await approvals.release(request.id, gate)).toBe('ok');
		expect(await approvals.release(request.id, gate)).toBe('released');
		expect(await approvals.consumeReleased(request.id, 'ad.reset_password', args, '9002')).toBe('foreign');
		expect(await approvals.consumeReleased(request.id, 'ad.reset_password', { ...args, sAMAccountName: 'x.y' }, '9001')).toBe('mismatch');
		expect(await approvals.consumeReleased(request.id, 'ad.reset_password', args, '9001')).toBe('ok');
		expect(await approvals.consumeReleased(request.id, 'ad.reset_password', args, '9001')).toBe('executed');
	});

	it('a Gate resumed after expiry gets "expired", even when approved in time', async () => {
		const gate: Requester = { face: 'gate', node: 'Safeguard Gate', execution: '9100' };
		const request = await approvals.request({ operation: reset, args, requester: gate, reason: 'x' });
		expect(await approvals.decide(request.id, 'approved', 'tech.martin', '')).toBe('ok');
		await expireNow(coordination.redis, approvals, request.id);
		expect(await approvals.release(request.id, gate)).toBe('expired');
		expect((await approvals.get(request.id))!.status).toBe('expired');
	});

	it('never-approved, rejected and expired requests are refused', async () => {
		const pending = await approvals.request({ operation: reset, args, requester, reason: 'x' });
		expect(await approvals.consume(pending.id, 'ad.reset_password', args, requester)).toBe('pending');

		const rejected = await approvals.request({ operation: reset, args, requester, reason: 'x' });
		await expect(approvals.decide(rejected.id, 'rejected', 'tech.martin', ' ')).rejects.toThrow('a rejection needs a comment');
		expect(await approvals.decide(rejected.id, 'rejected', 'tech.martin', 'demande non vérifiée')).toBe('ok');
		expect(await approvals.consume(rejected.id, 'ad.reset_password', args, requester)).toBe('rejected');
		expect(await approvals.decide(rejected.id, 'approved', 'tech.other', 'oups')).toBe('rejected');
		expect(await approvals.get(rejected.id)).toMatchObject({ status: 'rejected', approver: 'tech.martin', comment: 'demande non vérifiée' });

		const short = await approvals.request({ operation: reset, args, requester, reason: 'x' });
		await expireNow(coordination.redis, approvals, short.id);
		expect((await approvals.get(short.id))!.status).toBe('expired');
		expect(await approvals.decide(short.id, 'approved', 'tech.martin', '')).toBe('expired');
		expect(await approvals.consume(short.id, 'ad.reset_password', args, requester)).toBe('expired');

		const lateApproval = await approved();
		await expireNow(coordination.redis, approvals, lateApproval.id);
		expect(await approvals.consume(lateApproval.id, 'ad.reset_password', args, requester)).toBe('expired');

		expect(await approvals.consume('A'.repeat(22), 'ad.reset_password', args, requester)).toBe('not_found');
		expect(await approvals.consume('../../etc', 'ad.reset_password', args, requester)).toBe('not_found');
	});

	it('L4 can never be requested', async () => {
		await expect(
			approvals.request({ operation: catalogue.get('ad.delete_user'), args: { sAMAccountName: 'm.dubois' }, requester, reason: 'x' }),
		).rejects.toThrow('ad.delete_user is L4 (forbidden to AI): it cannot be requested or approved');
	});

	it('a lifetime outside 1 minute – 7 days is refused before anything is stored', async () => {
		const before = await coordination.redis.zcard(approvals.indexKey);
		for (const ttlMs of [0, 150, 59_000, 7 * 24 * 3600_000 + 1, Number.NaN, Number.POSITIVE_INFINITY, 1e7 * 60_000]) {
			await expect(approvals.request({ operation: reset, args, requester, reason: 'x', ttlMs })).rejects.toThrow(/1 minute to 7 days/);
		}
		expect(await coordination.redis.zcard(approvals.indexKey)).toBe(before);
		const week = await approvals.request({ operation: reset, args, requester: { ...requester, node: 'ttl' }, reason: 'x', ttlMs: 7 * 24 * 3600_000 });
		expect(week.status).toBe('pending');
	});

	it('oversized arguments are refused before anything is stored', async () => {
		const followup = catalogue.get('glpi.add_followup');
		const before = await coordination.redis.zcard(approvals.indexKey);
		await expect(
			approvals.request({ operation: followup, args: { ticketId: 1, content: 'x'.repeat(1_000_000) }, requester, reason: 'x' }),
		).rejects.toThrow(/larger than 128 KiB/);
		expect(await coordination.redis.zcard(approvals.indexKey)).toBe(before);
	});

	it('a requester may have at most N pending requests; a decision frees a place', async () => {
		const flood: Requester = { face: 'mcp', agent: 'flooder' };
		const made = [];
		for (let i = 0; i < 3; i++) made.push(await approvals.request({ operation: reset, args, requester: flood, reason: `r${i}`, maxPending: 3 }));
		await expect(approvals.request({ operation: reset, args, requester: flood, reason: 'one too many', maxPending: 3 })).rejects.toThrow(
			/too many approval requests waiting for this requester \(3, at most 3\)/,
		);
		// Another requester is not affected.
		await approvals.request({ operation: reset, args, requester: { face: 'mcp', agent: 'honest' }, reason: 'x', maxPending: 3 });
		expect(await approvals.decide(made[0].id, 'rejected', 'tech.martin', 'spam')).toBe('ok');
		await approvals.request({ operation: reset, args, requester: flood, reason: 'after a decision', maxPending: 3 });
	});

	it('shows technicians the arguments with secrets redacted, and nothing from which to recover them', async () => {
		const secret = catalogue.get('mysecret.create_secret');
		const secretArgs = { payload: 'Sup3r-Secret!', expireAfterDays: 7, expireAfterViews: 5 };
		const request = await approvals.request({ operation: secret, args: secretArgs, requester, reason: 'x' });
		expect(request.arguments).toEqual({ payload: '[redacted]', expireAfterDays: 7, expireAfterViews: 5 });
		expect(JSON.stringify(await coordination.redis.hgetall(approvals.key(request.id)))).not.toContain('Sup3r-Secret!');
		// The binding still holds for the real payload, and only for it.
		await approvals.decide(request.id, 'approved', 'tech.martin', '');
		expect(await approvals.consume(request.id, 'mysecret.create_secret', { ...secretArgs, payload: 'guess' }, requester)).toBe('mismatch');
		expect(await approvals.consume(request.id, 'mysecret.create_secret', secretArgs, requester)).toBe('ok');
	});

	it('flags look-alike and non-ASCII text for the technician', async () => {
		const request = await approvals.request({
			operation: reset,
			args: { ...args, sAMAccountName: 'аdmin.dubois' }, // Cyrillic "а"
			requester: { ...requester, node: 'lookalike' },
			reason: 'x',
		});
		expect(request.warnings).toEqual([expect.stringMatching(/^sAMAccountName: mixes alphabets in "аdmin".*U\+0430/)]);
	});
});
