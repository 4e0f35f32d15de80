import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError, WAIT_INDEFINITELY } from 'n8n-workflow';

import { catalogue, operationLabel, SAFEGUARD_LEVELS, SERVICE_TITLES } from '../../core/catalogue';
import type { AnyOperation, SafeguardLevel } from '../../core/catalogue/operation';
import type { ApprovalRequest, Requester } from '../../core/safeguard/approvals';
import { decide, DEFAULT_POLICY, MAX_APPROVAL_TTL_MINUTES, MIN_APPROVAL_TTL_MINUTES } from '../../core/safeguard/decision';
import { catalogueSubtitle, describeArguments } from '../shared/catalogue-properties';
import { toNodeError } from '../shared/execute-operation';
import { openSafeguard, SAFEGUARD_CREDENTIAL, widipSafeguardConnectionTest } from '../shared/safeguard-connection';

/** Every catalogue operation, in the order people look for them: by service, then by name. */
const GATE_OPERATIONS: readonly AnyOperation[] = [...catalogue.list()].sort((a, b) => operationLabel(a).localeCompare(operationLabel(b), 'en'));

/** Where each level leaves the Gate, beside what the level means. */
const LEVEL_OUTPUTS: Record<SafeguardLevel, string> = {
	0: 'Allowed',
	1: 'Allowed, or Approved / Rejected / Expired',
	2: 'Allowed',
	3: 'Approved / Rejected / Expired',
	4: 'Forbidden',
};

function levelsNotice(): INodeProperties {
	const items = ([0, 1, 2, 3, 4] as const).map((level) => `<li>${SAFEGUARD_LEVELS[level].label}: ${SAFEGUARD_LEVELS[level].meaning} → ${LEVEL_OUTPUTS[level]}</li>`);
	return {
		displayName: `Safeguard levels, as the Gate applies them (the runtime's signed policy may change a level):<ul>${items.join('')}</ul>An unknown operation goes out by Forbidden.`,
		name: 'levelsNotice',
		type: 'notice',
		default: '',
	};
}

/** For each operation, a notice listing the keys its Arguments take, shown only when it is chosen. */
function argumentNotices(): INodeProperties[] {
	return GATE_OPERATIONS.map((operation) => ({
		displayName: describeArguments(operation),
		name: `argumentsNotice_${operation.id.replace(/\W/g, '_')}`,
		type: 'notice',
		default: '',
		displayOptions: { show: { operationId: [operation.id] } },
	}));
}

/** Output indexes, in the order of `outputNames`. */
const ALLOWED = 0;
const FORBIDDEN = 1;
const APPROVED = 2;
const REJECTED = 3;
const EXPIRED = 4;
const OUTPUTS = 5;

function parseConfidence(context: IExecuteFunctions, raw: unknown, itemIndex: number): number | undefined {
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return undefined;
	const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
	if (!Number.isFinite(value) || value < 0 || value > 100) {
		throw new NodeOperationError(context.getNode(), `Confidence must be a number from 0 to 100, or empty for none (got "${String(raw)}")`, {
			itemIndex,
		});
	}
	return value;
}

function parseArguments(context: IExecuteFunctions, raw: unknown, itemIndex: number): Record<string, unknown> {
	let value = raw;
	if (typeof raw === 'string') {
		try {
			value = raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
		} catch {
			throw new NodeOperationError(context.getNode(), 'Arguments is not valid JSON', { itemIndex });
		}
	}
	if (!value || typeof value !== 'object' || Array.isArray(value)) {
		throw new NodeOperationError(context.getNode(), 'Arguments must be a JSON object, e.g. {"samAccountName": "jdupont"}', { itemIndex });
	}
	return value as Record<string, unknown>;
}

/** Minutes from the node's option (an expression may give anything), or the policy's when unset. */
function parseTtlMinutes(context: IExecuteFunctions, raw: unknown, fallback: number, itemIndex: number): number {
	if (raw === undefined || raw === null || raw === '') return fallback;
	const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
	if (!Number.isFinite(value) || value < MIN_APPROVAL_TTL_MINUTES || value > MAX_APPROVAL_TTL_MINUTES) {
		throw new NodeOperationError(
			context.getNode(),
			`Expires After (Minutes) must be a number from ${MIN_APPROVAL_TTL_MINUTES} to ${MAX_APPROVAL_TTL_MINUTES} (7 days); got "${String(raw)}"`,
			{ itemIndex },
		);
	}
	return value;
}

/** The Gate that asks: an approval is released only to this node of this execution. */
function gateRequester(node: string, execution: string, workflow: string, agent?: string): Requester {
	return { face: 'gate', agent: agent || 'n8n-agent', workflow, node, execution };
}

function describeRequest(request: ApprovalRequest): IDataObject {
	return {
		approvalId: request.id,
		status: request.status,
		operationId: request.operationId,
		level: request.level,
		arguments: request.arguments as IDataObject,
		reason: request.reason,
		approver: request.approver,
		comment: request.comment,
		decidedAt: request.decidedAt,
		expiresAt: request.expiresAt,
	};
}

/**
 * Puts Safeguard in a workflow: an AI-proposed action goes out by Allowed or Forbidden at once, or,
 * when a technician must decide, the execution waits (n8n's send-and-wait pattern) until the
 * runtime resumes it, then goes out by Approved, Rejected or Expired with the approval id.
 */
// Not an AI tool: it waits for a person, which a tool call cannot do; AI tools get Safeguard in
// their own …Tool variants instead. Its webhook only resumes this node's own waiting execution
// (restartWebhook, like n8n's Wait node): there is no third-party registration to manage.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool, @n8n/community-nodes/webhook-lifecycle-complete -- see above
export class SafeguardGate implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'WIDIP Safeguard Gate',
		name: 'safeguardGate',
		icon: { light: 'file:../../icons/safeguard.svg', dark: 'file:../../icons/safeguard.dark.svg' },
		group: ['transform'],
		version: 1,
		// Short enough for the canvas: "GLPI · Create Ticket (L1)".
		subtitle: catalogueSubtitle(GATE_OPERATIONS, {
			parameter: 'operationId',
			label: (operation) => `${SERVICE_TITLES[operation.service]} · ${operation.displayName} (L${operation.level})`,
			otherwise: 'Operation from an expression',
		}),
		description: 'Let an AI-proposed action through only as Safeguard allows, waiting for a technician when it must',
		defaults: { name: 'Safeguard Gate' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Allowed', 'Forbidden', 'Approved', 'Rejected', 'Expired'],
		credentials: [{ name: SAFEGUARD_CREDENTIAL, required: true, displayName: 'Credential for Safeguard', testedBy: 'widipSafeguardConnectionTest' }],
		webhooks: [
			{
				// The runtime calls the execution's resume URL once a technician decides or the request expires.
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '',
				restartWebhook: true,
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operationId',
				type: 'options',
				// One list of every operation, grouped by service by its names: "GLPI · Create Ticket (L1 minor)".
				options: GATE_OPERATIONS.map((operation) => ({
					name: operationLabel(operation),
					value: operation.id,
					description: operation.summary,
				})),
				// A read, never an action: a Gate dropped on the canvas asks for nothing until someone chooses.
				default: 'glpi.search_client',
				description: 'The catalogue operation the agent wants to run; an expression may name it (its ID, e.g. glpi.create_ticket)',
				hint: 'Each operation shows its Safeguard level: what the Gate does with it is explained below',
			},
			levelsNotice(),
			...argumentNotices(),
			{
				displayName: 'Arguments (JSON)',
				name: 'arguments',
				type: 'json',
				default: '{}',
				description: 'The exact arguments of the action: an approval is valid for these and no others',
				hint: 'A JSON object with the keys listed above for the chosen operation. A technician approves exactly these arguments.',
			},
			{
				displayName: 'Confidence',
				name: 'confidence',
				type: 'string',
				default: '',
				placeholder: '={{ $json.confidence }}',
				description: "The agent's confidence from 0 to 100. Empty means none, never certainty.",
				hint: `Used for L1 operations: from ${DEFAULT_POLICY.l1MinConfidence} (the default threshold) they go out by Allowed, below it a technician decides`,
			},
			{
				displayName: 'Reason',
				name: 'reason',
				type: 'string',
				default: '',
				placeholder: 'Account locked after 5 failed logins, user called the hotline',
				description: 'Why the agent wants this; technicians see it',
				typeOptions: { rows: 2 },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Agent Name',
						name: 'agent',
						type: 'string',
						default: 'n8n-agent',
						description: 'Who asks, as recorded in the request and the audit',
					},
					{
						displayName: 'Expires After (Minutes)',
						name: 'expiresInMinutes',
						type: 'number',
						typeOptions: { minValue: MIN_APPROVAL_TTL_MINUTES, maxValue: MAX_APPROVAL_TTL_MINUTES },
						default: 60,
						description:
							"How long a technician has to decide (1 minute to 7 days); then the execution leaves by Expired. Not set: the runtime's WIDIP_APPROVAL_TTL_MINUTES.",
					},
				],
			},
		],
	};

	methods = { credentialTest: { widipSafeguardConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const outputs: INodeExecutionData[][] = Array.from({ length: OUTPUTS }, () => []);
		const { safeguard, coordination } = await openSafeguard(await this.getCredentials(SAFEGUARD_CREDENTIAL)).catch((error: unknown) => {
			throw toNodeError(this.getNode(), error, 0);
		});
		try {
			const verified = await safeguard.policy.readVerified();
			const policy = verified.policy;
			const plans = items.map((_, itemIndex) => {
				const operationId = this.getNodeParameter('operationId', itemIndex) as string;
				const args = parseArguments(this, this.getNodeParameter('arguments', itemIndex), itemIndex);
				const confidence = parseConfidence(this, this.getNodeParameter('confidence', itemIndex, ''), itemIndex);
				return { operationId, args, confidence, outcome: decide(operationId, confidence, policy, catalogue).outcome };
			});
			// One execution can wait for one decision: refuse before any request is made.
			if (items.length > 1 && plans.some((plan) => plan.outcome === 'approval_required')) {
				throw new NodeOperationError(
					this.getNode(),
					`Safeguard Gate waits for one approval per execution, but received ${items.length} items`,
					{ description: 'Send one item per execution (e.g. Loop Over Items with batch size 1) before the gate.' },
				);
			}
			let waiting = false;
			for (const [itemIndex, plan] of plans.entries()) {
				const options = this.getNodeParameter('options', itemIndex, {}) as { agent?: string; expiresInMinutes?: unknown };
				const needsApproval = plan.outcome === 'approval_required';
				const minutes = parseTtlMinutes(this, options.expiresInMinutes, policy.approvalTtlMinutes, itemIndex);
				const verdict = await safeguard.authorize(plan.operationId, plan.args, {
					confidence: plan.confidence,
					reason: String(this.getNodeParameter('reason', itemIndex, '')),
					requester: gateRequester(this.getNode().name, this.getExecutionId(), String(this.getWorkflow().id ?? ''), options.agent),
					ttlMs: Math.round(minutes * 60_000),
					resumeUrl: needsApproval ? (this.evaluateExpression('{{ $execution.resumeUrl }}', itemIndex) as string) : undefined,
				}, verified);
				const safeguardInfo: IDataObject = { status: verdict.status, operationId: plan.operationId, level: verdict.decision.level, reason: verdict.decision.reason };
				const paired = { pairedItem: { item: itemIndex } };
				if (verdict.status === 'allowed') {
					outputs[ALLOWED].push({ json: { ...items[itemIndex].json, safeguard: { ...safeguardInfo, notified: verdict.notified } }, ...paired });
				} else if (verdict.status === 'approval_required') {
					waiting = true;
				} else if (verdict.status === 'invalid') {
					throw new NodeOperationError(this.getNode(), verdict.message, { itemIndex });
				} else {
					outputs[FORBIDDEN].push({ json: { ...items[itemIndex].json, safeguard: { ...safeguardInfo, message: verdict.message } }, ...paired });
				}
			}
			if (waiting) {
				// No time limit here: the runtime resumes the execution on expiry too, by Expired. A timer
				// resume would pass the input through the first output, which must never happen.
				await this.putExecutionToWait(WAIT_INDEFINITELY);
			}
			return outputs;
		} catch (error) {
			throw toNodeError(this.getNode(), error, 0);
		} finally {
			await coordination.close();
		}
	}

	/**
	 * The resume call. Its body only names the request; the decision is read from Redis, so a forged
	 * call cannot approve. Until the request is decided the execution keeps waiting.
	 */
	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const body = this.getBodyData();
		const approvalId = typeof body.approvalId === 'string' ? body.approvalId : '';
		const { safeguard, coordination } = await openSafeguard(await this.getCredentials(SAFEGUARD_CREDENTIAL));
		try {
			const request = await safeguard.approvals.get(approvalId);
			const self = gateRequester(this.getNode().name, this.getExecutionId(), String(this.getWorkflow().id ?? ''), request?.requester.agent);
			if (!request || request.requester.face !== 'gate' || request.requester.execution !== self.execution || request.requester.node !== self.node) {
				return { webhookResponse: { resumed: false, error: 'no approval request of this Gate and execution has that id' } };
			}
			let output: number;
			if (request.status === 'approved' || request.status === 'expired') {
				// Released here once, to this Gate only; an approval resumed after its expiry leaves by Expired.
				const released = await safeguard.approvals.release(approvalId, self);
				if (released === 'ok') {
					await safeguard.audit.append({ event: 'release', operationId: request.operationId, outcome: 'released', actor: request.requester.agent, approvalId });
					output = APPROVED;
				} else if (released === 'expired') {
					output = EXPIRED;
				} else {
					return { webhookResponse: { resumed: false, status: released } };
				}
			} else if (request.status === 'rejected') {
				output = REJECTED;
			} else {
				// pending (not decided yet), released or executed (already resumed once): keep waiting.
				return { webhookResponse: { resumed: false, status: request.status } };
			}
			const current = (await safeguard.approvals.get(approvalId)) ?? request;
			const outputs: INodeExecutionData[][] = Array.from({ length: OUTPUTS }, () => []);
			outputs[output].push({ json: { safeguard: describeRequest(current) } });
			return { webhookResponse: { resumed: true, status: current.status }, workflowData: outputs };
		} finally {
			await coordination.close();
		}
	}
}
