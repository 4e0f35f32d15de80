import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Approvals } from '../../core/safeguard/approvals';
import { argumentsDigest, canonicalJson } from '../../core/safeguard/canonical';
import { connectTest, dropPrefix } from '../support/redis';

describe('Safeguard approvals (real Redis)', () => {
	let coordination: Coordination;
	let approvals: Approvals;
	const reset = catalogue.get('ad.reset_password');
	const args = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true, delivery: 'link', length: 16 };
	const requester = { agent: 'assist', workflow: 'Assist', execution: '4812' };

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

	it('records a pending request with an unguessable id, the argument digest and a 60-minute expiry', async () => {
		const request = await approvals.request({ operation: reset, args, requester, reason: 'Mot de passe oublié', confidence: 92 });
		expect(request.id).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
		expect(request).toMatchObject({ operationId: 'ad.reset_password', level: 3, status: 'pending', requester, confidence: 92 });
		expect(request.digest).toBe(argumentsDigest('ad.reset_password', args));
		expect(Date.parse(request.expiresAt) - Date.parse(request.createdAt)).toBe(60 * 60_000);
	});

	it('key order canonicalises to the same digest; any other change does not', async () => {
		const reordered = { length: 16, delivery: 'link', mustChangeAtNextLogon: true, sAMAccountName: 'm.dubois' };
		expect(canonicalJson(reordered)).toBe(canonicalJson(args));
		const request = await approved();
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, sAMAccountName: 'a.martin' })).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, sAMAccountName: 'M.Dubois' })).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, extra: 1 })).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.reset_password', { ...args, length: 17 })).toBe('mismatch');
		expect(await approvals.consume(request.id, 'ad.disable_account', { sAMAccountName: 'm.dubois' })).toBe('mismatch');
		expect((await approvals.get(request.id))!.status).toBe('approved');
		expect(await approvals.consume(request.id, 'ad.reset_password', reordered)).toBe('ok');
		expect((await approvals.get(request.id))!.status).toBe('executed');
	});

	it('100 concurrent executions of one approval: exactly one runs', async () => {
		const request = await approved();
		const results = await Promise.all(Array.from({ length: 100 }, () => approvals.consume(request.id, 'ad.reset_password', args)));
		expect(results.filter((result) => result === 'ok')).toHaveLength(1);
		expect(results.filter((result) => result === 'executed')).toHaveLength(99);
	});

	it('never-approved, rejected and expired requests are refused', async () => {
		const pending = await approvals.request({ operation: reset, args, requester, reason: 'x' });
		expect(await approvals.consume(pending.id, 'ad.reset_password', args)).toBe('pending');

		const rejected = await approvals.request({ operation: reset, args, requester, reason: 'x' });
		await expect(approvals.decide(rejected.id, 'rejected', 'tech.martin', ' ')).rejects.toThrow('a rejection needs a comment');
		expect(await approvals.decide(rejected.id, 'rejected', 'tech.martin', 'demande non vérifiée')).toBe('ok');
		expect(await approvals.consume(rejected.id, 'ad.reset_password', args)).toBe('rejected');
		expect(await approvals.decide(rejected.id, 'approved', 'tech.other', 'oups')).toBe('rejected');
		expect(await approvals.get(rejected.id)).toMatchObject({ status: 'rejected', approver: 'tech.martin', comment: 'demande non vérifiée' });

		const short = await approvals.request({ operation: reset, args, requester, reason: 'x', ttlMs: 150 });
		await new Promise((resolve) => setTimeout(resolve, 250));
		expect((await approvals.get(short.id))!.status).toBe('expired');
		expect(await approvals.decide(short.id, 'approved', 'tech.martin', '')).toBe('expired');
		expect(await approvals.consume(short.id, 'ad.reset_password', args)).toBe('expired');

		const lateApproval = await approved({ ttlMs: 150 });
		await new Promise((resolve) => setTimeout(resolve, 250));
		expect(await approvals.consume(lateApproval.id, 'ad.reset_password', args)).toBe('expired');

		expect(await approvals.consume('A'.repeat(22), 'ad.reset_password', args)).toBe('not_found');
		expect(await approvals.consume('../../etc', 'ad.reset_password', args)).toBe('not_found');
	});

	it('L4 can never be requested', async () => {
		await expect(
			approvals.request({ operation: catalogue.get('ad.delete_user'), args: { sAMAccountName: 'm.dubois' }, requester, reason: 'x' }),
		).rejects.toThrow('ad.delete_user is L4 (forbidden to AI): it cannot be requested or approved');
	});

	it('shows technicians the arguments with secrets redacted, while binding the real ones', async () => {
		const secret = catalogue.get('mysecret.create_secret');
		const secretArgs = { payload: 'Sup3r-Secret!', expireAfterDays: 7, expireAfterViews: 5 };
		const request = await approvals.request({ operation: secret, args: secretArgs, requester, reason: 'x' });
		expect(request.arguments).toEqual({ payload: '[redacted]', expireAfterDays: 7, expireAfterViews: 5 });
		expect(JSON.stringify(await coordination.redis.hgetall(approvals.key(request.id)))).not.toContain('Sup3r-Secret!');
		expect(request.digest).toBe(argumentsDigest('mysecret.create_secret', secretArgs));
	});
});
