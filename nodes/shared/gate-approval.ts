import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { AnyOperation } from '../../core/catalogue/operation';
import { REFUSALS, type RefusalReason } from '../../core/safeguard/guard';
// Circular with catalogue-properties on purpose: read only when a node description is built.
import { OPERATION_FIELD } from './catalogue-properties';
import { openSafeguard, SAFEGUARD_CREDENTIAL, type OpenSafeguard } from './safeguard-connection';

export const GATE_APPROVAL_ID = 'gateApprovalId';

/**
 * The field that runs an action a Safeguard Gate approved, shown outside AI tools for operations
 * above L0. The approval is used once, in the Gate's own execution, and only for the operation
 * and arguments the technician saw: other arguments are refused.
 */
export function gateApprovalProperty(operations: readonly AnyOperation[]): INodeProperties[] {
	const guarded = operations.filter((operation) => operation.level > 0).map((operation) => operation.id);
	if (guarded.length === 0) return [];
	return [
		{
			displayName: 'Approval From a Safeguard Gate',
			name: GATE_APPROVAL_ID,
			type: 'string',
			default: '',
			placeholder: "={{ $('Safeguard Gate').item.json.safeguard.approvalId }}",
			description:
				'Leave empty for a normal run. After a Safeguard Gate\'s Approved output: its approval ID, so this node runs exactly the approved action once (same operation and arguments) and refuses anything else. Needs the WIDIP Safeguard credential.',
			displayOptions: { show: { '@tool': [false], [OPERATION_FIELD]: guarded } },
		},
	];
}

/** Consumes Gate approvals for one run of a node; opened on first use. */
export class GateApprovals {
	private opened: Promise<OpenSafeguard> | undefined;

	constructor(private readonly context: IExecuteFunctions) {}

	/** The approval id given for this item, or undefined for a normal run. */
	approvalIdFor(itemIndex: number): string | undefined {
		const value = this.context.getNodeParameter(GATE_APPROVAL_ID, itemIndex, '') as unknown;
		const id = typeof value === 'string' ? value.trim() : '';
		return id || undefined;
	}

	/** Throws unless the approval may run this exact call now; it is then used up. */
	async consume(approvalId: string, operation: AnyOperation, args: IDataObject, itemIndex: number): Promise<void> {
		const node = this.context.getNode();
		if (!node.credentials?.[SAFEGUARD_CREDENTIAL]) {
			throw new NodeOperationError(node, 'An approval ID was given, but this node has no WIDIP Safeguard credential to check it', { itemIndex });
		}
		this.opened ??= this.context.getCredentials(SAFEGUARD_CREDENTIAL).then(openSafeguard);
		const { safeguard } = await this.opened;
		const outcome = await safeguard.approvals.consumeReleased(approvalId, operation.id, args, String(this.context.getExecutionId()));
		await safeguard.audit.append({
			event: 'decision',
			operationId: operation.id,
			outcome: outcome === 'ok' ? 'approved_use' : `refused:${outcome}`,
			approvalId,
			detail: { face: 'gate', node: node.name, execution: this.context.getExecutionId() },
		});
		if (outcome !== 'ok') {
			const why = outcome === 'not_released' ? 'no Safeguard Gate of this execution released it (yet)' : (REFUSALS[outcome as RefusalReason] ?? outcome);
			throw new NodeOperationError(node, `Safeguard: approval ${approvalId} cannot run ${operation.id}: ${why}. Nothing was done.`, { itemIndex });
		}
	}

	async recordExecution(approvalId: string, operation: AnyOperation, outcome: 'succeeded' | 'failed', summary: string): Promise<void> {
		const { safeguard } = await this.opened!;
		await safeguard.recordExecution(operation.id, approvalId, outcome, summary);
	}

	async close(): Promise<void> {
		if (this.opened) await (await this.opened.catch(() => undefined))?.coordination.close();
	}
}
