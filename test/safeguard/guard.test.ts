import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { parseLevelOverrides } from '../../core/safeguard/policy';
import { connectTest, dropPrefix } from '../support/redis';

/** The one Safeguard every entry point uses (tool variants, Gate): decisions, requests, audit. */
describe('Safeguard.authorize (real Redis)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	const requester = { agent: 'assist', workflow: 'Assist', execution: '77' };
	const reset = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true };

	beforeAll(async () => {
		coordination = await connectTest('guard');
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
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
		await safeguard.policy.publish({ l1MinConfidence: 90, levels: {} });
		expect((await safeguard.authorize('glpi.add_followup', followup, { reason: 'r', requester, confidence: 85 })).status).toBe('approval_required');
	});

	it('an approval presented with other arguments is refused and recorded, then the right ones run once', async () => {
		const asked = await safeguard.authorize('ad.reset_password', reset, { reason: 'forgot', confidence: 90, requester });
		if (asked.status !== 'approval_required') throw new Error('expected a request');
		const id = asked.approval.id;
		expect(await safeguard.approvals.decide(id, 'approved', 'tech.martin', '')).toBe('ok');
		for (const changed of [{ ...reset, sAMAccountName: 'M.Dubois' }, { ...reset, extra: true }, { ...reset, mustChangeAtNextLogon: false }]) {
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
		const asked = await safeguard.authorize('ad.reset_password', reset, { reason: 'r', requester, ttlMs: 50 });
		if (asked.status !== 'approval_required') throw new Error('expected a request');
		await new Promise((resolve) => setTimeout(resolve, 120));
		const refused = await safeguard.authorize('ad.reset_password', reset, { reason: 'r', requester, approvalId: asked.approval.id });
		expect(refused).toMatchObject({ status: 'refused', why: 'expired' });
		expect(await lastAudit()).toMatchObject({ event: 'expiry', outcome: 'refused:expired' });
	});

	it('a corrupt policy in Redis fails closed instead of falling back to defaults', async () => {
		await coordination.redis.set(safeguard.policy.key, '{"l1MinConfidence": "low"}');
		await expect(safeguard.authorize('glpi.get_ticket', { ticketId: 1 }, { reason: 'r', requester })).rejects.toThrow(/Safeguard policy in Redis .* is not valid/);
	});

	it('level overrides name real operations only', () => {
		expect(parseLevelOverrides({ 'glpi.add_followup': 2 }, catalogue)).toEqual({ levels: { 'glpi.add_followup': 2 }, problems: [] });
		expect(parseLevelOverrides({ 'glpi.add_folowup': 2 }, catalogue).problems).toEqual(['unknown operation "glpi.add_folowup"']);
		expect(parseLevelOverrides({ 'glpi.add_followup': 7 }, catalogue).problems[0]).toMatch(/level 0–4/);
	});
});
