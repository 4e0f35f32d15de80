import type { Requester } from '../../core/safeguard/approvals';
import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { DEFAULT_POLICY, type SafeguardPolicy } from '../../core/safeguard/decision';
import { loweredLevels, parseLevelOverrides, PolicyStore } from '../../core/safeguard/policy';
import { connectTest, dropPrefix } from '../support/redis';
import { expireNow } from './support';

/** The one Safeguard every entry point uses (tool variants, Gate): decisions, requests, audit. */
describe('Safeguard.authorize (real Redis)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Assist', execution: '77' };
	const reset = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true };
	const secret = 'a-safeguard-key-of-at-least-32-characters!';
	const policy = (change: Partial<SafeguardPolicy>): SafeguardPolicy => ({ ...DEFAULT_POLICY, ...change });

	beforeAll(async () => {
		coordination = await connectTest('guard');
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue, secret);
	});
	afterEach(async () => {
		await coordination.redis.del(safeguard.policy.key);
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	async function lastAudit(): Promise<Record<string, string>> {
		const [[, fields]] = await coordination.redis.xrevrange(safeguard.audit.key, '+', '-', 'COUNT', 1);
		const entry: Record<string, string> = {};
		for (let i = 0; i < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
		return entry;
	}

	it('every outcome is audited: allow, allow and notify, approval required, forbidden, unknown', async () => {
		expect((await safeguard.authorize('glpi.get_ticket', { ticketId: 1 }, { reason: 'r', requester })).status).toBe('allowed');
		expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'allow', operationId: 'glpi.get_ticket' });

		const l2 = await safeguard.authorize('ad.unlock_account', { sAMAccountName: 'm.dubois' }, { reason: 'r', requester });
		expect(l2).toMatchObject({ status: 'allowed', notified: true });
		expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'allow_and_notify' });

		const l3 = await safeguard.authorize('ad.reset_password', reset, { reason: 'forgot', confidence: 90, requester });
		expect(l3.status).toBe('approval_required');
		const audit = await lastAudit();
		expect(audit).toMatchObject({ event: 'request', outcome: 'pending', approvalId: l3.status === 'approval_required' ? l3.approval.id : '' });
		expect(JSON.parse(audit.detail)).toMatchObject({ level: 3, confidence: 90, agentReason: 'forgot', requester, arguments: reset });

		expect((await safeguard.authorize('ad.delete_user', { sAMAccountName: 'x' }, { reason: 'r', requester })).status).toBe('forbidden');
		expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'forbidden', operationId: 'ad.delete_user' });
		expect((await safeguard.authorize('ad.format_disk', {}, { reason: 'r', requester })).status).toBe('forbidden');
		expect(await lastAudit()).toMatchObject({ outcome: 'forbidden', operationId: 'ad.format_disk' });
	});

	it('L1 follows the confidence threshold of the published policy; a missing confidence asks a person', async () => {
		const followup = { ticketId: 1, content: 'x' };
		expect((await safeguard.authorize('glpi.add_followup', followup, { reason: 'r', requester, confidence: 85 })).status).toBe('allowed');
		expect((await safeguard.authorize('glpi.add_followup', followup, { reason: 'r', requester })).status).toBe('approval_required');
		await safeguard.policy.publish(policy({ l1MinConfidence: 90 }));
		expect((await safeguard.authorize('glpi.add_followup', followup, { reason: 'r', requester, confidence: 85 })).status).toBe('approval_required');
	});

	it('an approval presented with other arguments is refused and recorded, then the right ones run once', async () => {
		const asked = await safeguard.authorize('ad.reset_password', reset, { reason: 'forgot', confidence: 90, requester });
		if (asked.status !== 'approval_required') throw new Error('expected a request');
		const id = asked.approval.id;
		expect(await safeguard.approvals.decide(id, 'approved', 'tech.martin', '')).toBe('ok');
		// An extra field is not even valid arguments: refused before the approval is looked at.
		expect(await safeguard.authorize('ad.reset_password', { ...reset, extra: true }, { reason: 'r', requester, approvalId: id })).toMatchObject({ status: 'invalid' });
		for (const changed of [{ ...reset, sAMAccountName: 'M.Dubois' }, { ...reset, mustChangeAtNextLogon: false }]) {
			const refused = await safeguard.authorize('ad.reset_password', changed, { reason: 'r', requester, approvalId: id });
			expect(refused).toMatchObject({ status: 'refused', why: 'mismatch' });
			expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'refused:mismatch', approvalId: id });
		}
		const reordered = { mustChangeAtNextLogon: true, sAMAccountName: 'm.dubois' };
		expect(await safeguard.authorize('ad.reset_password', reordered, { reason: 'r', requester, approvalId: id })).toMatchObject({ status: 'allowed', approvalId: id });
		expect(await safeguard.authorize('ad.reset_password', reset, { reason: 'r', requester, approvalId: id })).toMatchObject({ status: 'refused', why: 'executed' });
		await safeguard.recordExecution('ad.reset_password', id, 'succeeded', 'returned sAMAccountName');
		expect(await lastAudit()).toMatchObject({ event: 'execution', outcome: 'succeeded', approvalId: id });
		expect((await safeguard.approvals.get(id))!.result).toBe('succeeded: returned sAMAccountName');
	});

	it('an expired approval is refused and recorded as an expiry', async () => {
		const asked = await safeguard.authorize('ad.reset_password', reset, { reason: 'r', requester });
		if (asked.status !== 'approval_required') throw new Error('expected a request');
		await expireNow(coordination.redis, safeguard.approvals, asked.approval.id);
		const refused = await safeguard.authorize('ad.reset_password', reset, { reason: 'r', requester, approvalId: asked.approval.id });
		expect(refused).toMatchObject({ status: 'refused', why: 'expired' });
		expect(await lastAudit()).toMatchObject({ event: 'expiry', outcome: 'refused:expired' });
	});

	it('a policy written straight into Redis (lowering, unsigned, corrupt, signed with another key) changes no decision', async () => {
		const lowering: SafeguardPolicy = { ...DEFAULT_POLICY, levels: { 'ad.reset_password': 0, 'ad.delete_user': 3 }, allowLower: ['ad.reset_password', 'ad.delete_user'] };
		const forged = new PolicyStore(coordination.redis, coordination.config.keyPrefix, 'another-key-that-is-at-least-32-chars-long');
		const writes: (() => Promise<unknown>)[] = [
			() => coordination.redis.set(safeguard.policy.key, JSON.stringify(lowering)),
			() => coordination.redis.set(safeguard.policy.key, JSON.stringify({ v: 1, policy: lowering, issuedAt: new Date().toISOString(), mac: '0'.repeat(64) })),
			() => coordination.redis.set(safeguard.policy.key, '{"l1MinConfidence": "low"'),
			() => forged.publish(lowering),
		];
		for (const write of writes) {
			await write();
			const verified = await safeguard.policy.readVerified();
			expect(verified).toMatchObject({ source: 'catalogue', policy: DEFAULT_POLICY });
			expect(verified.problem).toMatch(/not JSON|not a signed policy|not signed with this Safeguard key/);
			expect((await safeguard.authorize('ad.reset_password', reset, { reason: 'r', confidence: 99, requester })).status).toBe('approval_required');
			expect((await safeguard.authorize('ad.delete_user', { sAMAccountName: 'x' }, { reason: 'r', requester })).status).toBe('forbidden');
			// Nothing is "off" either: reads still run.
			expect((await safeguard.authorize('glpi.get_ticket', { ticketId: 1 }, { reason: 'r', requester })).status).toBe('allowed');
		}
	});

	it("a signed policy lowers only what the operator allowed by name, and never an L4", async () => {
		await safeguard.policy.publish(policy({ levels: { 'glpi.close_ticket': 2, 'ad.disable_account': 0, 'ad.delete_user': 0 }, allowLower: ['glpi.close_ticket', 'ad.delete_user'] }));
		expect((await safeguard.policy.readVerified()).source).toBe('signed');
		expect(await safeguard.authorize('glpi.close_ticket', { ticketId: 1, solution: 'Mot de passe réinitialisé, lien envoyé.' }, { reason: 'r', requester })).toMatchObject({ status: 'allowed', notified: true });
		expect((await safeguard.authorize('ad.disable_account', { sAMAccountName: 'x' }, { reason: 'r', requester })).status).toBe('approval_required');
		expect((await safeguard.authorize('ad.delete_user', { sAMAccountName: 'x' }, { reason: 'r', requester })).status).toBe('forbidden');
		// Raising needs no consent.
		await safeguard.policy.publish(policy({ levels: { 'glpi.get_ticket': 3 } }));
		expect((await safeguard.authorize('glpi.get_ticket', { ticketId: 1 }, { reason: 'r', requester })).status).toBe('approval_required');
	});

	it('an action lowered to L0 still leaves an audit record', async () => {
		await safeguard.policy.publish(policy({ levels: { 'glpi.add_followup': 0 }, allowLower: ['glpi.add_followup'] }));
		expect((await safeguard.authorize('glpi.add_followup', { ticketId: 5, content: 'vu' }, { reason: 'r', requester })).status).toBe('allowed');
		expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'allow', operationId: 'glpi.add_followup' });
		expect(JSON.parse((await lastAudit()).detail)).toMatchObject({ level: 0, catalogueLevel: 1, policy: 'signed' });
	});

	it('invalid arguments are refused before any request is stored, naming the field, and audited', async () => {
		const before = await coordination.redis.zcard(safeguard.approvals.indexKey);
		const huge = await safeguard.authorize('glpi.add_followup', { ticketId: 1, content: 'x'.repeat(1_000_000) }, { reason: 'r', requester });
		expect(huge).toMatchObject({ status: 'invalid' });
		expect(huge.status === 'invalid' && huge.message).toMatch(/content:/);
		const wrong = await safeguard.authorize('ad.reset_password', { sAMAccountName: 42 }, { reason: 'r', requester });
		expect(wrong.status === 'invalid' && wrong.message).toMatch(/sAMAccountName:/);
		expect(await lastAudit()).toMatchObject({ event: 'decision', outcome: 'refused:invalid_arguments' });
		expect((await lastAudit()).detail.length).toBeLessThan(2000);
		expect(await coordination.redis.zcard(safeguard.approvals.indexKey)).toBe(before);
	});

	it('the request lifetime comes from the policy on every face, and a bad one is refused', async () => {
		await safeguard.policy.publish(policy({ approvalTtlMinutes: 5 }));
		const asked = await safeguard.authorize('ad.reset_password', reset, { reason: 'ttl', requester: { ...requester, agent: 'ttl' } });
		if (asked.status !== 'approval_required') throw new Error('expected a request');
		expect(Date.parse(asked.approval.expiresAt) - Date.parse(asked.approval.createdAt)).toBeLessThan(5 * 60_000 + 1000);
		expect(Date.parse(asked.approval.expiresAt) - Date.parse(asked.approval.createdAt)).toBeGreaterThan(5 * 60_000 - 1000);
		const bad = await safeguard.authorize('ad.reset_password', reset, { reason: 'ttl', requester, ttlMs: Number.NaN });
		expect(bad).toMatchObject({ status: 'invalid' });
		await expect(safeguard.policy.publish(policy({ approvalTtlMinutes: 1e7 }))).rejects.toThrow();
	});

	it('level overrides name real operations only', () => {
		expect(parseLevelOverrides({ 'glpi.add_followup': 2 }, catalogue)).toEqual({ levels: { 'glpi.add_followup': 2 }, problems: [] });
		expect(parseLevelOverrides({ 'glpi.add_folowup': 2 }, catalogue).problems).toEqual(['unknown operation "glpi.add_folowup"']);
		expect(parseLevelOverrides({ 'glpi.add_followup': 7 }, catalogue).problems[0]).toMatch(/level 0–4/);
		expect(parseLevelOverrides({ 'ad.delete_user': 3 }, catalogue).problems).toEqual(['ad.delete_user is L4 (forbidden to AI): it can never be lowered']);
		expect(loweredLevels({ 'glpi.close_ticket': 1, 'glpi.get_ticket': 2 }, catalogue)).toEqual([{ operationId: 'glpi.close_ticket', from: 3, to: 1 }]);
	});
});
