import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';

import { silentLogger } from '../../core/logger';

export interface FakeExecuteContextOptions {
	/** The node type, e.g. `n8n-nodes-widip.redisHelper` (or its `…Tool` variant). */
	type: string;
	/** The node's name in the workflow; `Node` unless given. */
	name?: string;
	/** One entry per input item: that item's node parameters. */
	params: IDataObject[];
	/** What `getCredentials` resolves to, whatever credential type is asked for… */
	credentials?: IDataObject;
	/** …unless credentials are given per type: these are also the ones set on the node. */
	credentialsByType?: Record<string, IDataObject>;
	continueOnFail?: boolean;
	executionId?: string;
}

/**
 * A minimal stand-in for n8n's execution context, the slice our nodes use: one empty input item
 * per parameter set, parameters per item (with the caller's fallback), the node, credentials,
 * continueOnFail and a silent logger. The e2e suite runs the same nodes inside n8n itself.
 */
export function fakeExecuteContext(options: FakeExecuteContextOptions): IExecuteFunctions {
	const node: INode = {
		id: 'n1',
		name: options.name ?? 'Node',
		type: options.type,
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
		credentials: Object.fromEntries(Object.keys(options.credentialsByType ?? {}).map((type) => [type, { id: type, name: type }])),
	};
	return {
		getInputData: () => options.params.map(() => ({ json: {} })),
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) =>
			options.params[itemIndex][name] ?? fallback,
		getNode: () => node,
		getCredentials: async (type: string) => {
			const found = options.credentialsByType?.[type] ?? options.credentials;
			if (!found) throw new Error(`Node does not have credentials of type "${type}"`);
			return found;
		},
		getWorkflow: () => ({ id: 'wf-test', name: 'test', active: false }),
		getExecutionId: () => options.executionId ?? 'exec-test',
		continueOnFail: () => options.continueOnFail ?? false,
		logger: silentLogger,
	} as unknown as IExecuteFunctions;
}
