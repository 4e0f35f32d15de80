import { NodeConnectionTypes, NodeHelpers } from 'n8n-workflow';

import { STICKY_NOTE, type NodeEntry, type WorkflowContext } from '../context';
import { edgesOf } from './connections';
import { portsOf } from './ports';

/** A node a run can start from: a trigger, webhook or poller, or a node that takes no main input. */
function isStart(context: WorkflowContext, entry: NodeEntry, hasMainInput: boolean): boolean {
	const { type } = entry;
	if (!type) {
		// Type unknown here: it could be a trigger, so a node nothing feeds counts as one.
		return !hasMainInput;
	}
	const description = type.description;
	if (NodeHelpers.isTriggerNode(description) || (description.webhooks?.length ?? 0) > 0 || description.polling) return true;
	const inputs = portsOf(context, entry, 'inputs');
	const outputs = portsOf(context, entry, 'outputs');
	if (!inputs || !outputs) return !hasMainInput;
	return !inputs.some((port) => port.type === NodeConnectionTypes.Main) && outputs.some((port) => port.type === NodeConnectionTypes.Main);
}

/**
 * Every node is on a path from a start node. Main connections carry runs forward; an AI sub-node
 * (model, memory, tool) is reached through the node it plugs into. Sticky notes are no nodes.
 */
export function checkReachability(context: WorkflowContext): void {
	const edges = edgesOf(context).filter((edge) => context.nodes.has(edge.source) && context.nodes.has(edge.target.node));
	const fedByMain = new Set(edges.filter((edge) => edge.type === NodeConnectionTypes.Main).map((edge) => edge.target.node));
	const reached = new Set<string>();
	for (const entry of context.entries()) {
		if (entry.node.type !== STICKY_NOTE && isStart(context, entry, fedByMain.has(entry.node.name))) reached.add(entry.node.name);
	}
	for (let grew = true; grew; ) {
		grew = false;
		for (const edge of edges) {
			const main = edge.type === NodeConnectionTypes.Main;
			const [from, to] = main ? [edge.source, edge.target.node] : [edge.target.node, edge.source];
			if (reached.has(from) && !reached.has(to)) {
				reached.add(to);
				grew = true;
			}
		}
	}
	for (const entry of context.entries()) {
		if (entry.node.type === STICKY_NOTE || reached.has(entry.node.name)) continue;
		context.report(entry.node.name, 'connections', 'not reachable: no path from a trigger or webhook leads to this node');
	}
}
