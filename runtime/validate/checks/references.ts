import { isResourceLocatorValue, NodeHelpers } from 'n8n-workflow';

import { isExpression, isObject, STICKY_NOTE, type WorkflowContext } from '../context';
import { stringsIn } from '../walk';

/** Values left for someone to fill in. `<p>` and other HTML stay allowed. */
const PLACEHOLDERS: Array<[RegExp, string]> = [
	[/\bCHANGE[_ -]?ME\b/i, 'CHANGEME'],
	[/\bTODO\b/, 'TODO'],
	[/(^|[^A-Za-z0-9])x{3,}([^A-Za-z0-9]|$)/i, 'xxx'],
	[/<[A-Za-z][A-Za-z0-9]*(?:[ _-][A-Za-z0-9]+)+>|<[A-Z][A-Z0-9_]+>/, '<…>'],
];

function placeholderIn(value: string): string | undefined {
	return PLACEHOLDERS.find(([pattern]) => pattern.test(value))?.[1];
}

/** Parameters holding an id of another n8n object by name convention. */
const ID_PARAMETER = /(^|\.)(credentials?Id|credentialIds?)$/i;

export const SUBWORKFLOW_CONVENTION = '{"__rl": true, "mode": "list", "value": "<workflow name>", "cachedResultName": "<workflow name>"}';

/**
 * Sub-workflow references (Execute Workflow, Call Workflow tool…) name the workflow: a resource
 * locator whose value and cachedResultName are both the workflow's name, which deploy replaces with
 * the id the workflow gets in the target n8n. The named workflow must be among the files given.
 */
function checkSubworkflow(context: WorkflowContext, names: ReadonlySet<string>, node: string, parameters: Record<string, unknown>, loaded: Record<string, unknown>): void {
	if ((loaded.source ?? 'database') !== 'database') return;
	const reference = parameters.workflowId;
	const field = 'parameters.workflowId';
	if (reference === undefined) return;
	const value = isResourceLocatorValue(reference) ? reference.value : reference;
	if (isExpression(value)) {
		context.report(node, field, 'sub-workflow chosen by an expression: deploy cannot check or resolve it', 'warning');
		return;
	}
	const name = isResourceLocatorValue(reference) ? reference.cachedResultName : undefined;
	if (typeof value !== 'string' || value === '' || value !== name) {
		context.report(node, field, `sub-workflow referenced by id ${JSON.stringify(value)}: ids differ between n8n instances; write ${SUBWORKFLOW_CONVENTION} so deploy can resolve it`);
		return;
	}
	if (!names.has(value)) context.report(node, field, `sub-workflow "${value}" is not among the workflows given`);
}

/**
 * Nothing environment-specific or unfinished: no placeholder values, no credential ids pasted in
 * parameters, sub-workflows referenced by name.
 */
export function checkReferences(context: WorkflowContext, workflowNames: ReadonlySet<string>): void {
	for (const { node, loaded } of context.entries()) {
		if (node.type === STICKY_NOTE || !isObject(node.parameters)) continue;
		for (const { path, value } of stringsIn(node.parameters, 'parameters')) {
			const placeholder = placeholderIn(value);
			if (placeholder) context.report(node.name, path, `placeholder value (${placeholder}) left in: ${JSON.stringify(value.slice(0, 80))}`);
			if (ID_PARAMETER.test(path.replace(/\[\d+\]/g, '')) && value.trim() !== '' && !isExpression(value)) {
				context.report(node.name, path, `credential id pasted in a parameter (${JSON.stringify(value)}): ids differ between n8n instances; reference credentials by name in "credentials"`);
			}
		}
		for (const [type, reference] of Object.entries((node.credentials ?? {}) as Record<string, unknown>)) {
			const name = isObject(reference) ? reference.name : undefined;
			const placeholder = typeof name === 'string' ? placeholderIn(name) : undefined;
			if (placeholder) context.report(node.name, `credentials.${type}.name`, `placeholder credential name (${placeholder}): ${JSON.stringify(name)}`);
		}
		if (NodeHelpers.isNodeWithWorkflowSelector(node)) {
			checkSubworkflow(context, workflowNames, node.name, node.parameters as Record<string, unknown>, (loaded?.parameters ?? node.parameters) as Record<string, unknown>);
		}
	}
}
