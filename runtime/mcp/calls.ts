import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';

import { mcpToolName, type AnyOperation } from '../../core/catalogue/operation';
import type { OperationRegistry } from '../../core/catalogue/registry';
import type { ServiceClients } from '../../core/catalogue/services';
import { isWidipError } from '../../core/errors';
import type { Requester } from '../../core/safeguard/approvals';
import type { Safeguard, Verdict } from '../../core/safeguard/guard';
import type { VerifiedPolicy } from '../../core/safeguard/policy';
import type { McpMetrics } from './metrics';
import { RESERVED_ARGUMENTS, STATUS_TOOL_NAME, statusTool, toolOf, type ReservedArgument } from './tools';
import type { Toolset } from './toolsets';

export interface McpCallsDeps {
	catalogue: Pick<OperationRegistry, 'list' | 'has' | 'get' | 'parseInput' | 'run'>;
	safeguard: Safeguard;
	/** The runtime's own policy: it is the authority, so it is not read back from Redis per call. */
	policy: VerifiedPolicy;
	/** Service clients built once from the runtime's config and reused by every call. */
	clients: () => Partial<ServiceClients>;
	metrics?: McpMetrics;
}

/** What the caller said beside the arguments: from the reserved arguments or `_meta`. */
export interface CallContext {
	agent: string;
	meta?: Record<string, unknown>;
}

function text(value: unknown): string {
	return typeof value === 'string' ? value : JSON.stringify(value);
}

function failure(message: string, details?: Record<string, unknown>): CallToolResult {
	// Tool errors are results the model reads, never protocol errors (MCP spec, tools/call).
	return { isError: true, content: [{ type: 'text', text: details ? `${message}\n${JSON.stringify(details)}` : message }] };
}

function optionalNumber(value: unknown): number | undefined {
	if (value === undefined || value === null || value === '') return undefined;
	const number = typeof value === 'number' ? value : Number(value);
	return Number.isFinite(number) ? number : undefined;
}

/**
 * Tools of the runtime's MCP server, derived from the catalogue: listing per toolset, and calls
 * that pass Safeguard (face `mcp`, the requester is the agent key's name) before any service is
 * touched. Shared by both MCP transports and the plain JSON `/mcp/call`.
 */
export class McpCalls {
	private readonly byToolset = new Map<string, { tools: Tool[]; byName: Map<string, { operation: AnyOperation; tool: Tool }> }>();

	constructor(
		private readonly deps: McpCallsDeps,
		toolsets: ReadonlyMap<string, Toolset>,
	) {
		// Tools are derived once: deriving JSON Schema from zod on every call cost more than Safeguard.
		for (const [name, toolset] of toolsets) {
			const derived = toolset.operations.map((operation) => ({ operation, tool: toolOf(operation) }));
			this.byToolset.set(name, {
				tools: [...derived.map(({ tool }) => tool), statusTool],
				byName: new Map(derived.map((entry) => [mcpToolName(entry.operation.id), entry])),
			});
		}
	}

	has(toolset: string): boolean {
		return this.byToolset.has(toolset);
	}

	tools(toolset: string): Tool[] {
		return this.byToolset.get(toolset)?.tools ?? [];
	}

	/** One call, whatever happens a result: success, or `isError` with a message the agent can act on. */
	async call(toolset: string, name: string, rawArgs: Record<string, unknown> | undefined, context: CallContext): Promise<CallToolResult> {
		const started = performance.now();
		let outcome = 'error';
		try {
			const result = await this.dispatch(toolset, name, rawArgs ?? {}, context);
			outcome = String(result._meta?.['widip/outcome'] ?? 'ok');
			return result;
		} catch (error) {
			// Safeguard could not decide (Redis unreachable…): a tool error the agent reads, and nothing done.
			const message = isWidipError(error) || error instanceof Error ? error.message.split('\n')[0] : String(error);
			outcome = 'unavailable';
			return tagged(failure(`Safeguard could not check this call, so nothing was done: ${message}. Try again later.`), 'unavailable');
		} finally {
			this.deps.metrics?.observeCall(name, outcome, (performance.now() - started) / 1000);
		}
	}

	private async dispatch(toolset: string, name: string, rawArgs: Record<string, unknown>, context: CallContext): Promise<CallToolResult> {
		const set = this.byToolset.get(toolset);
		if (!set) return tagged(failure(`Unknown toolset "${toolset}"`), 'unknown_tool');
		if (name === STATUS_TOOL_NAME) return await this.status(rawArgs, context);
		const found = set.byName.get(name);
		if (!found) {
			return tagged(failure(`Unknown tool "${name}" in toolset "${toolset}". Tools here: ${set.tools.map((tool) => tool.name).join(', ')}`), 'unknown_tool');
		}
		const { operation, tool } = found;
		const args: Record<string, unknown> = { ...rawArgs };
		const said: Partial<Record<ReservedArgument, unknown>> = {};
		for (const key of Object.keys(RESERVED_ARGUMENTS) as ReservedArgument[]) {
			if (key in args) said[key] = args[key];
			delete args[key];
		}
		const meta = context.meta ?? {};
		const requester: Requester = { face: 'mcp', agent: context.agent };
		const verdict = await this.deps.safeguard.authorize(
			operation.id,
			args,
			{
				confidence: optionalNumber(said.safeguardConfidence ?? meta['widip/confidence']),
				reason: String(said.safeguardReason ?? meta['widip/reason'] ?? ''),
				approvalId: String(said.safeguardApprovalId ?? meta['widip/approvalId'] ?? '').trim() || undefined,
				requester,
			},
			this.deps.policy,
		);
		this.deps.metrics?.decision(verdict.status);
		if (verdict.status !== 'allowed') return refusal(verdict);
		try {
			const result = await this.deps.catalogue.run(operation.id, args, this.deps.clients());
			// Reads are recorded by their decision; an action also records that it ran.
			if (operation.level > 0 || verdict.approvalId) {
				await this.deps.safeguard.recordExecution(operation.id, verdict.approvalId, 'succeeded', `returned ${Object.keys(result as object).join(', ')}`).catch(() => undefined);
			}
			const structured = typeof result === 'object' && result !== null && !Array.isArray(result) && tool.outputSchema;
			return {
				content: [{ type: 'text', text: text(result) }],
				...(structured ? { structuredContent: result as Record<string, unknown> } : {}),
			};
		} catch (error) {
			const message = isWidipError(error) || error instanceof Error ? error.message.split('\n')[0] : String(error);
			if (operation.level > 0 || verdict.approvalId) {
				await this.deps.safeguard.recordExecution(operation.id, verdict.approvalId, 'failed', message).catch(() => undefined);
			}
			return tagged(failure(`${operation.id} failed: ${message}`), 'failed');
		}
	}

	private async status(rawArgs: Record<string, unknown>, context: CallContext): Promise<CallToolResult> {
		const approvalId = typeof rawArgs.approvalId === 'string' ? rawArgs.approvalId : '';
		const request = approvalId ? await this.deps.safeguard.approvals.get(approvalId) : null;
		// Another agent's request is "not found": ids are not a way to read what others asked.
		if (!request || request.requester.face !== 'mcp' || request.requester.agent !== context.agent) {
			const body = { approvalId, status: 'not_found', next: 'No request of yours has this id.' };
			return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
		}
		const next: Record<string, string> = {
			pending: 'A technician has not decided yet; ask again later.',
			approved: `Call ${request.operationId.replace('.', '_')} again with exactly the same arguments and safeguardApprovalId "${request.id}".`,
			rejected: 'A technician rejected it; do not retry. Tell the person why.',
			expired: 'Nobody decided in time; ask again only if still needed.',
			released: 'Released to a Safeguard Gate.',
			executed: 'Done: the approval was used.',
		};
		const body = {
			approvalId: request.id,
			status: request.status,
			operation: request.operationId,
			expiresAt: request.expiresAt,
			comment: request.comment,
			next: next[request.status],
		};
		return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
	}
}

function tagged(result: CallToolResult, outcome: string): CallToolResult {
	return { ...result, _meta: { ...(result._meta ?? {}), 'widip/outcome': outcome } };
}

/** Safeguard said no (or not yet): a tool error whose text tells the agent what to do next. */
function refusal(verdict: Exclude<Verdict, { status: 'allowed' }>): CallToolResult {
	switch (verdict.status) {
		case 'approval_required':
			return tagged(
				failure(
					`${verdict.message} Use the tool safeguard_status with this approvalId to see whether it was decided.`,
					{ status: 'approval_required', approvalId: verdict.approval.id, expiresAt: verdict.approval.expiresAt, level: verdict.decision.level },
				),
				'approval_required',
			);
		case 'refused':
			return tagged(failure(verdict.message, { status: 'refused', approvalId: verdict.approvalId, why: verdict.why }), `refused:${verdict.why}`);
		case 'invalid':
			return tagged(failure(verdict.message, { status: 'invalid' }), 'invalid');
		default:
			return tagged(failure(verdict.message, { status: 'forbidden' }), 'forbidden');
	}
}
