import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { catalogue, SAFEGUARD_LEVELS } from '../../core/catalogue';
import type { AnyOperation } from '../../core/catalogue/operation';
import type { Coordination } from '../../core/redis/coordination';
import { decide, DEFAULT_POLICY } from '../../core/safeguard/decision';
import type { Safeguard } from '../../core/safeguard/guard';
import type { VerifiedPolicy } from '../../core/safeguard/policy';
import { openSafeguard, SAFEGUARD_CREDENTIAL } from './safeguard-connection';

export const TOOL_APPROVAL_ID = 'safeguardApprovalId';
export const TOOL_CONFIDENCE = 'safeguardConfidence';
export const TOOL_REASON = 'safeguardReason';
/** A notice, not a value: n8n never stores it in the workflow. */
export const TOOL_NOTICE = 'safeguardToolNotice';

const toolOnly = { displayOptions: { show: { '@tool': [true] } } };

/**
 * Fields only an AI tool variant shows: the agent fills them with $fromAI, so Safeguard learns its
 * confidence and reason, and an approval id when a technician approved the call.
 */
export function safeguardToolProperties(): INodeProperties[] {
	const levels = ([0, 1, 2, 3, 4] as const).map((level) => `<li>${SAFEGUARD_LEVELS[level].label}: ${SAFEGUARD_LEVELS[level].meaning}</li>`).join('');
	return [
		{
			displayName: `As an AI tool, this node asks Safeguard before it acts. Each operation has a level:<ul>${levels}</ul>Operations above L0 need the Safeguard credential above (approvals and the audit live there). The agent fills in the three Safeguard fields below at each call: keep their expressions.`,
			name: TOOL_NOTICE,
			type: 'notice',
			default: '',
			...toolOnly,
		},
		{
			displayName: 'Safeguard Approval ID',
			name: TOOL_APPROVAL_ID,
			type: 'string',
			default: "={{ $fromAI('safeguardApprovalId', 'Only when Safeguard answered approval_required and a technician approved: its approval id. Otherwise empty.', 'string', '') }}",
			description: 'Approval of a technician for exactly this call (Safeguard L1 below threshold and L3)',
			hint: 'Filled in by the agent: empty on a first call; the approval ID once a technician approved the call Safeguard held back. Keep this expression.',
			...toolOnly,
		},
		{
			displayName: 'Safeguard Confidence',
			name: TOOL_CONFIDENCE,
			type: 'string',
			default: "={{ $fromAI('safeguardConfidence', 'How sure you are this action is right, 0 to 100', 'number') }}",
			description: "The agent's confidence from 0 to 100; empty means none",
			hint: `Filled in by the agent: how sure it is, 0 to 100. An L1 action runs alone only from the threshold (${DEFAULT_POLICY.l1MinConfidence} by default); below it a technician decides. Keep this expression.`,
			...toolOnly,
		},
		{
			displayName: 'Safeguard Reason',
			name: TOOL_REASON,
			type: 'string',
			default: "={{ $fromAI('safeguardReason', 'Why this action is needed, for the technician who reviews it', 'string') }}",
			description: 'Why the agent wants this; technicians see it',
			hint: 'Filled in by the agent: why it wants this action, shown to the technician who approves it and kept in the audit. Keep this expression.',
			...toolOnly,
		},
	];
}

export type ToolCheck = { run: true; approvalId?: string; guarded: boolean } | { run: false; answer: IDataObject };

function optionalNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const number = Number(value);
	return Number.isFinite(number) ? number : undefined;
}

/**
 * Safeguard for a catalogue node running as an AI tool. Decides before any service is touched:
 * L3 without an approval answers "approval required" with the request id, an approval runs once
 * for identical arguments, L4 refuses. Without Safeguard's Redis it fails closed for L1+.
 */
export class ToolSafeguard {
	private constructor(
		private readonly context: IExecuteFunctions,
		private readonly safeguard: Safeguard | undefined,
		private readonly policy: VerifiedPolicy | undefined,
		private readonly coordination: Coordination | undefined,
	) {}

	static async open(context: IExecuteFunctions): Promise<ToolSafeguard> {
		if (!context.getNode().credentials?.[SAFEGUARD_CREDENTIAL]) return new ToolSafeguard(context, undefined, undefined, undefined);
		const { safeguard, coordination } = await openSafeguard(await context.getCredentials(SAFEGUARD_CREDENTIAL));
		let opened: ToolSafeguard | undefined;
		try {
			opened = new ToolSafeguard(context, safeguard, await safeguard.policy.readVerified(), coordination);
			return opened;
		} finally {
			if (!opened) await coordination.close();
		}
	}

	async check(operation: AnyOperation, args: IDataObject, itemIndex: number): Promise<ToolCheck> {
		if (operation.workflowOnly) {
			return {
				run: false,
				answer: { status: 'forbidden', message: `${operation.id} is run by workflows only, never by an AI agent. Nothing was done.` },
			};
		}
		const confidence = optionalNumber(this.context.getNodeParameter(TOOL_CONFIDENCE, itemIndex, ''));
		// Without Safeguard's Redis the catalogue's levels still decide what may run here.
		const first = decide(operation.id, confidence, this.policy?.policy ?? DEFAULT_POLICY, catalogue);
		// Only what is read-only in the catalogue itself runs unrecorded: an operation lowered to L0
		// by policy still leaves an audit record.
		if (first.outcome === 'allow' && first.level === 0 && operation.level === 0) return { run: true, guarded: false };
		if (!this.safeguard) {
			if (first.outcome === 'forbidden') {
				return { run: false, answer: { status: 'forbidden', message: `Safeguard: ${operation.id} is forbidden to AI agents (L${first.level}): a person must do it. Nothing was done.` } };
			}
			throw new NodeOperationError(
				this.context.getNode(),
				`${operation.id} is Safeguard L${first.level}: as an AI tool it needs the WIDIP Safeguard credential (approvals and audit live there)`,
				{ itemIndex, description: 'Select a WIDIP Safeguard credential on this tool node. Without it, only L0 (read-only) operations run.' },
			);
		}
		const approvalId = String(this.context.getNodeParameter(TOOL_APPROVAL_ID, itemIndex, '') ?? '').trim();
		const verdict = await this.safeguard.authorize(operation.id, args, {
			confidence,
			reason: String(this.context.getNodeParameter(TOOL_REASON, itemIndex, '') ?? ''),
			requester: {
				face: 'tool',
				agent: 'n8n-ai-agent',
				workflow: String(this.context.getWorkflow?.().id ?? ''),
				node: this.context.getNode().name,
				execution: this.context.getExecutionId?.(),
			},
			approvalId: approvalId || undefined,
		}, this.policy);
		switch (verdict.status) {
			case 'allowed':
				return { run: true, approvalId: verdict.approvalId, guarded: true };
			case 'approval_required':
				return {
					run: false,
					answer: { status: 'approval_required', approvalId: verdict.approval.id, expiresAt: verdict.approval.expiresAt, message: verdict.message },
				};
			case 'refused':
				return { run: false, answer: { status: 'refused', approvalId: verdict.approvalId, why: verdict.why, message: verdict.message } };
			case 'invalid':
				return { run: false, answer: { status: 'invalid', message: verdict.message } };
			default:
				return { run: false, answer: { status: 'forbidden', message: verdict.message } };
		}
	}

	async recordExecution(operation: AnyOperation, check: ToolCheck, outcome: 'succeeded' | 'failed', summary: string): Promise<void> {
		if (!this.safeguard || !check.run || !check.guarded) return;
		await this.safeguard.recordExecution(operation.id, check.approvalId, outcome, summary);
	}

	async close(): Promise<void> {
		await this.coordination?.close();
	}
}
