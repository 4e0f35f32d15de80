import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import type { AnyOperation } from '../../core/catalogue/operation';
import type { ServiceClients } from '../../core/catalogue/services';
import { isWidipError } from '../../core/errors';
import { ADDITIONAL_FIELDS, OPERATION_FIELD, planFields } from './catalogue-properties';
import { GateApprovals } from './gate-approval';
import { ToolSafeguard } from './tool-safeguard';

export interface CatalogueNodeOptions {
	/** Number of main outputs the node declares. */
	outputs: number;
	/** Opens the service clients for this run; they are closed when the run ends. */
	openClients: () => Promise<{ clients: Partial<ServiceClients>; close: () => Promise<void> }>;
	/** Picks the output for one result (default 0). Ignored when running as an AI tool. */
	route?: (operationId: string, result: IDataObject) => number;
}

/** A clean, one-line message: never a stack trace, never a secret from a cause. */
export function toNodeError(node: INode, error: unknown, itemIndex: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (isWidipError(error)) {
		const nodeError = new NodeOperationError(node, error.message, {
			itemIndex,
			description: `${error.service} error (${error.kind})${error.operation ? ` in ${error.operation}` : ''}`,
		});
		// Kept for continueOnFail's error item (see failureKind).
		nodeError.context.errorKind = error.kind;
		nodeError.context.errorService = error.service;
		return nodeError;
	}
	const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
	return new NodeOperationError(node, message, { itemIndex });
}

function readArguments(context: IExecuteFunctions, operation: AnyOperation, itemIndex: number): IDataObject {
	const plan = planFields(operation);
	const args: IDataObject = {};
	for (const name of plan.topLevel) args[name] = context.getNodeParameter(name, itemIndex) as IDataObject[string];
	if (plan.additional.length > 0) {
		Object.assign(args, context.getNodeParameter(ADDITIONAL_FIELDS, itemIndex, {}) as IDataObject);
	}
	for (const name of plan.text) {
		if (typeof args[name] === 'number' || typeof args[name] === 'boolean') args[name] = String(args[name]);
	}
	for (const name of plan.json) {
		const value = args[name];
		if (typeof value !== 'string') continue;
		try {
			args[name] = JSON.parse(value) as IDataObject[string];
		} catch {
			throw new NodeOperationError(context.getNode(), `Field "${name}" is not valid JSON`, { itemIndex });
		}
	}
	return args;
}

/**
 * The execute() of every catalogue-backed node: read the fields the catalogue defines, run the
 * operation through the registry (validation + output check), route, pair and handle errors the
 * n8n way (continueOnFail, itemIndex). As an AI tool (`…Tool` type) Safeguard decides first, and
 * service clients are opened only once an item is allowed to run.
 */
export async function executeCatalogueOperation(
	context: IExecuteFunctions,
	options: CatalogueNodeOptions,
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const outputs: INodeExecutionData[][] = Array.from({ length: options.outputs }, () => []);
	// As an AI tool only output 0 reaches the agent, so every answer must go there.
	const asTool = context.getNode().type.endsWith('Tool');
	let opened: Awaited<ReturnType<CatalogueNodeOptions['openClients']>> | undefined;
	let openFailure: unknown;
	const clients = async () => {
		if (openFailure === undefined && !opened) {
			opened = await options.openClients().catch((error: unknown) => {
				openFailure = error;
				return undefined;
			});
		}
		// No connection, no item can succeed: with continueOnFail each item carries the reason.
		// Thrown as it is: the item's catch makes the node error and keeps its kind for continueOnFail.
		if (!opened) throw openFailure;
		return opened.clients;
	};
	let guard: ToolSafeguard | undefined;
	const gateApprovals = asTool ? undefined : new GateApprovals(context);
	try {
		if (asTool) {
			try {
				guard = await ToolSafeguard.open(context);
			} catch (error) {
				// Safeguard unreachable: nothing may run; with continueOnFail each item says why.
				if (!context.continueOnFail()) throw toNodeError(context.getNode(), error, 0);
				const message = toNodeError(context.getNode(), error, 0).message;
				outputs[0] = items.map((_, itemIndex) => ({ json: { error: message }, pairedItem: { item: itemIndex } }));
				return outputs;
			}
		}
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				const operationId = context.getNodeParameter(OPERATION_FIELD, itemIndex) as string;
				const operation = catalogue.get(operationId);
				const args = readArguments(context, operation, itemIndex);
				const check = guard ? await guard.check(operation, args, itemIndex) : ({ run: true, guarded: false } as const);
				if (!check.run) {
					outputs[0].push({ json: check.answer, pairedItem: { item: itemIndex } });
					continue;
				}
				const gateApprovalId = operation.level > 0 ? gateApprovals?.approvalIdFor(itemIndex) : undefined;
				if (gateApprovalId) await gateApprovals!.consume(gateApprovalId, operation, args, itemIndex);
				const record = async (outcome: 'succeeded' | 'failed', summary: string) => {
					await guard?.recordExecution(operation, check, outcome, summary);
					if (gateApprovalId) await gateApprovals!.recordExecution(gateApprovalId, operation, outcome, summary);
				};
				let result: IDataObject;
				try {
					result = (await catalogue.run(operation.id, args, await clients())) as IDataObject;
				} catch (error) {
					const failure = toNodeError(context.getNode(), error, itemIndex);
					await record('failed', failure.message);
					throw failure;
				}
				await record('succeeded', `returned ${Object.keys(result).join(', ')}`);
				const output = asTool ? 0 : (options.route?.(operation.id, result) ?? 0);
				outputs[output].push({ json: result, pairedItem: { item: itemIndex } });
			} catch (error) {
				if (context.continueOnFail()) {
					// The kind (unavailable, timeout, bad_request…) lets a workflow tell a service that is
					// down from a request it refused, e.g. to report only the former to a circuit breaker.
					const failure = toNodeError(context.getNode(), error, itemIndex);
					// `details` names the kind of failure, so a workflow tells a service that is down from a
					// request it refused; n8n's "continue (using error output)" routes an item whose json
					// holds only error / message / details, so nothing else is added.
					const details = failure.context.errorKind ? { details: { kind: failure.context.errorKind, service: failure.context.errorService } } : {};
					outputs[0].push({
						json: { error: failure.message, ...details },
						pairedItem: { item: itemIndex },
					});
					continue;
				}
				throw toNodeError(context.getNode(), error, itemIndex);
			}
		}
	} finally {
		await guard?.close();
		await gateApprovals?.close();
		await opened?.close();
	}
	return outputs;
}
