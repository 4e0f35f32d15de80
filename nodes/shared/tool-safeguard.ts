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
/** Notices (one per operation), not values: n8n never stores them in the workflow. */
export const TOOL_NOTICE = 'safeguardToolNotice';

const toolOnly = { displayOptions: { show: { '@tool': [true] } } };

/** What Safeguard does with one operation when this node runs as an AI tool, in words. */
export function toolSafeguardNotice(operation: AnyOperation): string {
	if (operation.workflowOnly) return `${operation.displayName} runs in workflows only: as an AI tool it is refused and does nothing.`;
	const level = SAFEGUARD_LEVELS[operation.level];
	const credential =
		operation.level === 0
			? 'It needs no Safeguard credential.'
			: operation.level === 4
				? 'The tool refuses it.'
				: 'It needs the Safeguard credential above, where approvals and the audit live.';
	return `As an AI tool, ${operation.displayName} is Safeguard ${level.label}: ${level.meaning}. ${credential} The agent fills in the three Safeguard fields below at each call ($fromAI): keep their expressions.`;
}

/**
 * Fields only an AI tool variant shows: for each operation a notice saying what Safeguard does with
 * it, then the fields the agent fills with $fromAI, so Safeguard learns its confidence and reason,
 * and an approval id when a technician approved the call.
 */
export function safeguardToolProperties(operations: readonly AnyOperation[]): INodeProperties[] {
	return [
		...operations.map(
			(operation): INodeProperties => ({
				displayName: toolSafeguardNotice(operation),
				name: `${TOOL_NOTICE}_${operation.id.replace(/\W/g, '_')}`,
				type: 'notice',
				default: '',
				displayOptions: { show: { '@tool': [true], operation: [operation.id] } },
			}),
		),
		{
			// n8n shows a hint only under a fixed value, and cuts long labels beside the From AI button:
			// the notice above and each field's tooltip (description) carry the explanation.
			displayName: 'Safeguard Approval ID',
			name: TOOL_APPROVAL_ID,
			type: 'string',
			default: "={{ $fromAI('safeguardApprovalId', 'Only when Safeguard answered approval_required and a technician approved: its approval id. Otherwise empty.', 'string', '') }}",
			description:
				'The agent fills this in at each call ($fromAI): empty at first; when Safeguard held the call back (L1 below the threshold, L3) and a technician approved it, the approval ID, so exactly that call runs once. Keep the expression.',
			hint: 'Normally set by the agent through $fromAI: a fixed approval ID here would go with every call',
			...toolOnly,
		},
		{
			displayName: 'Safeguard Confidence',
			name: TOOL_CONFIDENCE,
			type: 'string',
			default: "={{ $fromAI('safeguardConfidence', 'How sure you are this action is right, 0 to 100', 'number') }}",
			description: `The agent fills this in at each call ($fromAI): how sure it is, 0 to 100 (empty means none). An L1 action runs alone from ${DEFAULT_POLICY.l1MinConfidence} (the default threshold); below it a technician decides. Keep the expression.`,
			hint: 'Normally set by the agent through $fromAI: a fixed confidence here would apply to every call',
			...toolOnly,
		},
		{
			displayName: 'Safeguard Reason',
			name: TOOL_REASON,
			type: 'string',
			default: "={{ $fromAI('safeguardReason', 'Why this action is needed, for the technician who reviews it', 'string') }}",
			description: 'The agent fills this in at each call ($fromAI): why it wants this action, shown to the technician who approves it and kept in the audit. Keep the expression.',
			hint: 'Normally set by the agent through $fromAI: a fixed reason here would be shown for every call',
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
