import { NodeConnectionTypes, type IConnection } from 'n8n-workflow';

import { isObject, type NodeEntry, type WorkflowContext } from '../context';
import { describePorts, portsOf, type Port } from './ports';

interface Edge {
	source: string;
	type: string;
	output: number;
	target: IConnection;
}

/** Every connection entry of the file, well-formed ones only (structure reports the rest). */
export function edgesOf(context: WorkflowContext): Edge[] {
	const edges: Edge[] = [];
	const connections = isObject(context.workflow.connections) ? context.workflow.connections : {};
	for (const [source, byType] of Object.entries(connections as Record<string, unknown>)) {
		if (!isObject(byType)) continue;
		for (const [type, buckets] of Object.entries(byType as Record<string, unknown>)) {
			if (!Array.isArray(buckets)) continue;
			buckets.forEach((bucket: unknown, output) => {
				if (!Array.isArray(bucket)) return;
				for (const target of bucket) {
					if (isObject(target) && typeof target.node === 'string') edges.push({ source, type, output, target: target as unknown as IConnection });
				}
			});
		}
	}
	return edges;
}

function ofType(ports: Port[] | undefined, type: string): Port[] | undefined {
	return ports?.filter((port) => port.type === type);
}

function typesOf(ports: Port[]): string {
	const types = [...new Set(ports.map((port) => port.type))];
	return types.length > 0 ? types.join(', ') : 'none';
}

function checkEdge(context: WorkflowContext, edge: Edge, source: NodeEntry, target: NodeEntry, cache: Map<NodeEntry, { inputs?: Port[]; outputs?: Port[] }>): void {
	const field = `connections.${edge.type}[${edge.output}]`;
	const ports = (entry: NodeEntry) => {
		let known = cache.get(entry);
		if (!known) {
			known = { inputs: portsOf(context, entry, 'inputs'), outputs: portsOf(context, entry, 'outputs') };
			cache.set(entry, known);
		}
		return known;
	};
	const outputs = ofType(ports(source).outputs, edge.type);
	if (outputs && outputs.length === 0) {
		context.report(edge.source, field, `"${edge.source}" has no ${edge.type} output (its outputs: ${typesOf(ports(source).outputs!)})`);
	} else if (outputs && edge.output >= outputs.length) {
		context.report(edge.source, field, `output ${edge.output} does not exist: "${edge.source}" has ${outputs.length} ${edge.type} output(s)${describePorts(outputs)}`);
	}
	if (edge.target.type !== edge.type) {
		context.report(edge.source, field, `connection to "${edge.target.node}" is typed ${edge.target.type} on a ${edge.type} output`);
		return;
	}
	const inputs = ofType(ports(target).inputs, edge.type);
	const index = typeof edge.target.index === 'number' ? edge.target.index : 0;
	if (inputs && inputs.length === 0) {
		context.report(edge.source, field, `"${edge.target.node}" (${target.node.type}) does not accept ${edge.type} connections (its inputs: ${typesOf(ports(target).inputs!)})`);
	} else if (inputs && index >= inputs.length) {
		context.report(edge.source, field, `input ${index} of "${edge.target.node}" does not exist: it has ${inputs.length} ${edge.type} input(s)`);
	} else if (inputs) {
		const filter = inputs[index].filter;
		if ((filter?.nodes && !filter.nodes.includes(source.node.type)) || filter?.excludedNodes?.includes(source.node.type)) {
			context.report(edge.source, field, `"${edge.target.node}" does not accept ${source.node.type} on its ${edge.type} input`);
		}
	}
}

/**
 * Connections: both ends exist, the source has that output (index within what n8n computes for it,
 * error output included), the target accepts that connection type (AI sub-nodes: ai_tool,
 * ai_languageModel… only into nodes whose inputs take them), one-only AI inputs get one, and
 * required AI inputs (an Agent's model) are connected.
 */
export function checkConnections(context: WorkflowContext): void {
	const cache = new Map<NodeEntry, { inputs?: Port[]; outputs?: Port[] }>();
	const edges = edgesOf(context);
	const incoming = new Map<string, number>();
	for (const edge of edges) {
		const source = context.nodes.get(edge.source);
		const target = context.nodes.get(edge.target.node);
		if (!source) {
			context.report(edge.source, 'connections', `connection source "${edge.source}" is not a node of this workflow`);
			continue;
		}
		if (!target) {
			context.report(edge.source, `connections.${edge.type}[${edge.output}]`, `connection target "${edge.target.node}" is not a node of this workflow`);
			continue;
		}
		checkEdge(context, edge, source, target, cache);
		const key = `${edge.target.node}\u0000${edge.type}\u0000${edge.target.index ?? 0}`;
		incoming.set(key, (incoming.get(key) ?? 0) + 1);
	}
	for (const entry of context.entries()) {
		const inputs = cache.get(entry)?.inputs ?? (entry.type ? portsOf(context, entry, 'inputs') : undefined);
		if (!inputs || entry.node.disabled) continue;
		const perType = new Map<string, number>();
		for (const input of inputs) {
			const index = perType.get(input.type) ?? 0;
			perType.set(input.type, index + 1);
			if (input.type === NodeConnectionTypes.Main) continue;
			const count = incoming.get(`${entry.node.name}\u0000${input.type}\u0000${index}`) ?? 0;
			const label = input.displayName ? ` (${input.displayName})` : '';
			if (input.required && count === 0) {
				context.report(entry.node.name, `connections.${input.type}`, `needs a connection of type ${input.type}${label}`);
			} else if (input.maxConnections !== undefined && count > input.maxConnections) {
				context.report(entry.node.name, `connections.${input.type}`, `takes at most ${input.maxConnections} ${input.type} connection(s)${label}, has ${count}`);
			}
		}
	}
}
