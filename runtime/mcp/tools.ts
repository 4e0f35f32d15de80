import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import { toMcpTool } from '../../core/catalogue/mcp';
import type { AnyOperation } from '../../core/catalogue/operation';

/**
 * Where an MCP caller gives Safeguard what it needs: reserved arguments that every tool above L0
 * documents in its input schema (an LLM fills them like any argument, which n8n's MCP Client Tool
 * needs), or `_meta["widip/confidence" | "widip/reason" | "widip/approvalId"]` for clients that set
 * request metadata. They are taken out before the operation's own arguments are checked.
 */
export const RESERVED_ARGUMENTS = {
	safeguardConfidence: {
		type: 'number',
		minimum: 0,
		maximum: 100,
		description: 'Safeguard: how sure you are that this action is right, 0 to 100. Below 80 a minor action waits for a technician.',
	},
	safeguardReason: {
		type: 'string',
		maxLength: 2000,
		description: 'Safeguard: why this action is needed, for the technician who reviews it.',
	},
	safeguardApprovalId: {
		type: 'string',
		maxLength: 64,
		description: 'Safeguard: only after a call answered "approval required" and a technician approved it: that approval id, with exactly the same arguments.',
	},
} as const;

export type ReservedArgument = keyof typeof RESERVED_ARGUMENTS;

export const STATUS_TOOL_NAME = 'safeguard_status';

/** The MCP tool of a catalogue operation, plus the Safeguard arguments when it is above L0. */
export function toolOf(operation: AnyOperation): Tool {
	const tool = toMcpTool(operation);
	if (operation.level === 0) return tool;
	return { ...tool, inputSchema: { ...tool.inputSchema, properties: { ...tool.inputSchema.properties, ...RESERVED_ARGUMENTS } } };
}

/** Lets an agent ask where its own approval request stands, without retrying the action. */
export const statusTool: Tool = {
	name: STATUS_TOOL_NAME,
	title: 'Safeguard request status',
	description:
		'Where one of your Safeguard approval requests stands: pending (a technician has not decided), approved (call the same tool again with the same arguments and safeguardApprovalId), rejected (with the comment), expired or executed.',
	inputSchema: {
		type: 'object',
		properties: { approvalId: { type: 'string', maxLength: 64, description: 'The approvalId an earlier call answered with' } },
		required: ['approvalId'],
		additionalProperties: false,
	},
	outputSchema: {
		type: 'object',
		properties: {
			approvalId: { type: 'string' },
			status: { type: 'string', enum: ['pending', 'approved', 'rejected', 'expired', 'released', 'executed', 'not_found'] },
			operation: { type: 'string' },
			expiresAt: { type: 'string' },
			comment: { type: ['string', 'null'] },
			next: { type: 'string' },
		},
		required: ['approvalId', 'status', 'next'],
	},
	annotations: { title: 'Safeguard request status', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};
