import { NodeHelpers, type INodeInputConfiguration, type INodeOutputConfiguration, type NodeConnectionType } from 'n8n-workflow';

import type { NodeEntry, WorkflowContext } from '../context';

export interface Port {
	type: string;
	displayName?: string;
	required?: boolean;
	maxConnections?: number;
	filter?: { nodes?: string[]; excludedNodes?: string[] };
}

type PortList = Array<NodeConnectionType | INodeInputConfiguration | INodeOutputConfiguration>;

function asPorts(list: PortList): Port[] {
	return list.map((port) => (typeof port === 'string' ? { type: port } : (port as Port)));
}

/**
 * A node's inputs or outputs as n8n computes them (NodeHelpers.getNodeInputs / getNodeOutputs,
 * `continueErrorOutput` adding the error output). Some node types compute them from an expression on
 * their parameters (our Incident node, n8n's AI Agent); n8n's own expression engine evaluates it
 * here as the editor does. If that fails, undefined: the caller checks nothing and notes why.
 */
export function portsOf(context: WorkflowContext, entry: NodeEntry, side: 'inputs' | 'outputs'): Port[] | undefined {
	const { type, loaded } = entry;
	if (!type || !loaded) return undefined;
	const declared = type.description[side];
	if (typeof declared === 'string') {
		try {
			const evaluated = context.n8n.expression.getSimpleParameterValue(loaded, declared, 'internal', {});
			if (!Array.isArray(evaluated)) throw new Error('not a list');
		} catch {
			context.note(`${context.file}: ${side} of "${loaded.name}" (${loaded.type}) come from an expression validate could not evaluate: its connections were not checked against them`);
			return undefined;
		}
	}
	const list = side === 'inputs' ? NodeHelpers.getNodeInputs(context.n8n, loaded, type.description) : NodeHelpers.getNodeOutputs(context.n8n, loaded, type.description);
	return asPorts(list);
}

/** "New Incident, Update" or "main" ×2: how a node's ports of one type read in a message. */
export function describePorts(ports: Port[]): string {
	const named = ports.map((port) => port.displayName).filter(Boolean);
	return named.length === ports.length ? ` (${named.join(', ')})` : '';
}
