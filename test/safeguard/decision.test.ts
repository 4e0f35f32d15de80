import { catalogue } from '../../core/catalogue';
import { decide, DEFAULT_POLICY } from '../../core/safeguard/decision';

describe('Safeguard decision table', () => {
	const policy = DEFAULT_POLICY;

	it.each([
		// [operation, level, confidence, outcome]
		['glpi.search_client', 0, undefined, 'allow'],
		['glpi.get_ticket', 0, 10, 'allow'],
		['glpi.create_ticket', 1, 80, 'allow'],
		['glpi.create_ticket', 1, 95, 'allow'],
		['glpi.create_ticket', 1, 79.9, 'approval_required'],
		['glpi.create_ticket', 1, undefined, 'approval_required'],
		['glpi.create_ticket', 1, Number.NaN, 'approval_required'],
		['ad.unlock_account', 2, undefined, 'allow_and_notify'],
		['glpi.update_status', 2, 100, 'allow_and_notify'],
		['ad.reset_password', 3, 100, 'approval_required'],
		['glpi.close_ticket', 3, 99, 'approval_required'],
		['ad.delete_user', 4, 100, 'forbidden'],
		['ad.create_user', 4, undefined, 'forbidden'],
	] as const)('%s (L%d) with confidence %p → %s', (operationId, level, confidence, outcome) => {
		expect(catalogue.get(operationId).level).toBe(level);
		expect(decide(operationId, confidence, policy, catalogue)).toMatchObject({ operationId, level, outcome });
	});

	it('a missing confidence is not treated as 100', () => {
		expect(decide('glpi.add_followup', undefined, policy, catalogue).reason).toBe('L1 with no confidence given');
	});

	it('the L1 threshold is configurable', () => {
		expect(decide('glpi.add_followup', 60, { ...policy, l1MinConfidence: 50 }, catalogue).outcome).toBe('allow');
		expect(decide('glpi.add_followup', 60, { ...policy, l1MinConfidence: 70 }, catalogue).outcome).toBe('approval_required');
	});

	it('levels can be overridden per operation, both ways', () => {
		const stricter = { ...policy, levels: { 'glpi.add_followup': 3 as const } };
		expect(decide('glpi.add_followup', 100, stricter, catalogue)).toMatchObject({ level: 3, outcome: 'approval_required' });
		const looser = { ...policy, levels: { 'ad.unlock_account': 1 as const }, allowLower: ['ad.unlock_account'] };
		expect(decide('ad.unlock_account', 90, looser, catalogue)).toMatchObject({ level: 1, outcome: 'allow' });
	});

	it('a lowering the operator did not allow by name is ignored; an L4 stays L4 whatever the policy says', () => {
		const unconsented = { ...policy, levels: { 'ad.unlock_account': 0 as const } };
		expect(decide('ad.unlock_account', 90, unconsented, catalogue)).toMatchObject({ level: 2, outcome: 'allow_and_notify' });
		const l4 = { ...policy, levels: { 'ad.delete_user': 0 as const }, allowLower: ['ad.delete_user'] };
		expect(decide('ad.delete_user', 100, l4, catalogue)).toMatchObject({ level: 4, outcome: 'forbidden' });
	});

	it('unknown operations are refused', () => {
		expect(decide('ad.format_c_drive', 100, policy, catalogue)).toEqual({
			operationId: 'ad.format_c_drive',
			level: null,
			outcome: 'forbidden',
			reason: 'unknown operation "ad.format_c_drive"',
		});
	});
});
