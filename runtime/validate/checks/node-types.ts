import type { WorkflowContext } from '../context';

/** Every node's type exists (ours, n8n's when installed, AI-tool variants) in the version given. */
export function checkNodeTypes(context: WorkflowContext): void {
	for (const { node, lookup } of context.entries()) {
		if (typeof node.type !== 'string') continue;
		if (typeof node.typeVersion !== 'number') {
			context.report(node.name, 'typeVersion', `typeVersion missing: n8n needs the version of ${node.type} the node was built for`);
			continue;
		}
		switch (lookup?.kind) {
			case 'unknown':
				context.report(node.name, 'type', lookup.message);
				break;
			case 'bad-version':
				context.report(node.name, 'typeVersion', `${node.type} has no version ${node.typeVersion} (it has ${lookup.versions.join(', ')})`);
				break;
			case 'unchecked':
				context.note(lookup.note);
				break;
		}
	}
}
