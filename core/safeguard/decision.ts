import type { OperationRegistry } from '../catalogue/registry';
import type { SafeguardLevel } from '../catalogue/operation';

export type Outcome = 'allow' | 'allow_and_notify' | 'approval_required' | 'forbidden';

export interface SafeguardPolicy {
	/** Minimum agent confidence (0–100) for an L1 action to run without a person. */
	l1MinConfidence: number;
	/** Per-operation level overrides, e.g. `{ "glpi.add_followup": 2 }`. */
	levels: Record<string, SafeguardLevel>;
	/**
	 * Operations an operator explicitly allowed below their catalogue level. An override that
	 * lowers a level without being listed here is ignored: raising is always honoured.
	 */
	allowLower: string[];
	/** How long a technician has to decide, on every face (1 min to 7 days). */
	approvalTtlMinutes: number;
	/** Pending approval requests one requester may have at once. */
	maxPendingPerRequester: number;
}

export const MIN_APPROVAL_TTL_MINUTES = 1;
export const MAX_APPROVAL_TTL_MINUTES = 7 * 24 * 60;

export const DEFAULT_POLICY: SafeguardPolicy = {
	l1MinConfidence: 80,
	levels: {},
	allowLower: [],
	approvalTtlMinutes: 60,
	maxPendingPerRequester: 10,
};

export interface Decision {
	operationId: string;
	level: SafeguardLevel | null;
	outcome: Outcome;
	reason: string;
}

/**
 * The level Safeguard applies: the policy's override when it raises the catalogue's level, or
 * lowers it with the operator's explicit consent; never anything but 4 for an L4 operation.
 */
export function effectiveLevel(operationId: string, catalogueLevel: SafeguardLevel, policy: SafeguardPolicy): SafeguardLevel {
	if (catalogueLevel === 4) return 4;
	const override = policy.levels[operationId];
	if (override === undefined) return catalogueLevel;
	if (override < catalogueLevel && !policy.allowLower.includes(operationId)) return catalogueLevel;
	return override;
}

/**
 * The one Safeguard decision, pure: operation + its level + the agent's confidence + policy.
 * L0 allow; L1 allow at or above the confidence threshold, else a person decides; L2 allow and
 * tell technicians; L3 a person decides; L4 never by AI. An unknown operation is forbidden, and a
 * missing confidence counts as none at all, never as certainty.
 */
export function decide(
	operationId: string,
	confidence: number | undefined,
	policy: SafeguardPolicy,
	catalogue: Pick<OperationRegistry, 'has' | 'get'>,
): Decision {
	if (!catalogue.has(operationId)) {
		return { operationId, level: null, outcome: 'forbidden', reason: `unknown operation "${operationId}"` };
	}
	const level = effectiveLevel(operationId, catalogue.get(operationId).level, policy);
	switch (level) {
		case 0:
			return { operationId, level, outcome: 'allow', reason: 'L0 read-only' };
		case 1: {
			const given = typeof confidence === 'number' && Number.isFinite(confidence) ? confidence : undefined;
			if (given !== undefined && given >= policy.l1MinConfidence) {
				return { operationId, level, outcome: 'allow', reason: `L1 with confidence ${given} ≥ ${policy.l1MinConfidence}` };
			}
			const why = given === undefined ? 'no confidence given' : `confidence ${given} < ${policy.l1MinConfidence}`;
			return { operationId, level, outcome: 'approval_required', reason: `L1 with ${why}` };
		}
		case 2:
			return { operationId, level, outcome: 'allow_and_notify', reason: 'L2 moderate: technicians are notified' };
		case 3:
			return { operationId, level, outcome: 'approval_required', reason: 'L3 sensitive: a technician must approve' };
		default:
			return { operationId, level, outcome: 'forbidden', reason: 'L4 forbidden to AI: a person must do it' };
	}
}
