import { safeParseWorkflowStructure } from 'n8n-workflow';

import { NONE, type WorkflowContext } from '../context';

/** `a.b[0].c` from a path array. */
export function fieldPath(parts: ReadonlyArray<string | number>): string {
	return parts.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('') || NONE;
}

/**
 * The shape n8n's own import and create endpoints require (n8n-workflow's
 * safeParseWorkflowStructure): node name, type and position, connection entries, unique node names
 * and ids. Connections to missing nodes are reported by the connections check instead.
 */
export function checkStructure(context: WorkflowContext): void {
	const { workflow } = context;
	if (typeof workflow.name !== 'string' || workflow.name.trim() === '') {
		context.report(NONE, 'name', 'workflow without a name: deploy and sub-workflow references find workflows by name');
	}
	if (workflow.id === undefined || workflow.id === '') {
		// The editor's import and n8n's API assign one; `n8n import:workflow` stops on it
		// (SQLITE_CONSTRAINT: NOT NULL constraint failed: workflow_entity.id).
		context.report(NONE, 'id', 'workflow without an id: `n8n import:workflow` refuses it (the editor and deploy assign one)', 'warning');
	}
	const result = safeParseWorkflowStructure(context.workflow);
	if (result.success) return;
	const nodes = Array.isArray(context.workflow.nodes) ? context.workflow.nodes : [];
	for (const issue of result.issues) {
		const code = (issue as { code?: string }).code;
		if (code === 'unknown_connection_source' || code === 'unknown_connection_target') continue;
		const path = issue.path as Array<string | number>;
		if (path[0] === 'nodes' && typeof path[1] === 'number') {
			const name = nodes[path[1]]?.name;
			context.report(typeof name === 'string' && name ? name : `nodes[${path[1]}]`, fieldPath(path.slice(2)), issue.message);
		} else if (path[0] === 'connections' && typeof path[1] === 'string') {
			const [, source, type, output] = path;
			context.report(source, `connections${type === undefined ? '' : `.${type}`}${output === undefined ? '' : `[${output}]`}`, issue.message);
		} else {
			context.report(NONE, fieldPath(path), issue.message);
		}
	}
}
