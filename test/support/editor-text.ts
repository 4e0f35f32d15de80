/**
 * What a technician reads in the n8n editor, taken from node type descriptions (ours from source, or
 * as n8n's REST API hands them to the editor) and checked the same way in unit and e2e tests.
 */
import type { INodeProperties, INodePropertyOptions, INodeTypeDescription } from 'n8n-workflow';

import { OPERATIONS } from '../../core/catalogue';
import { inputJsonSchema } from '../../core/catalogue/json-schema';

const OPERATION_IDS = new Set<string>(OPERATIONS.map((operation) => operation.id));
const SERVICES = [...new Set(OPERATIONS.map((operation) => operation.service))];

/** Why a text people read looks like an identifier rather than words, or undefined when it reads fine. */
export function rawIdProblem(text: string): string | undefined {
	if (OPERATION_IDS.has(text.trim())) return 'an operation id';
	const dotted = text.match(/\b[a-z][a-z0-9]*\.[a-z][a-z0-9]*_[a-z0-9_]+\b/);
	if (dotted) return `an x.y_z id ("${dotted[0]}")`;
	const service = text.match(new RegExp(`\\b(${SERVICES.join('|')})\\.[a-z]`));
	if (service) return `a service.operation id ("${service[0]}…")`;
	const snake = text.match(/\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b/);
	if (snake) return `snake_case ("${snake[0]}")`;
	return undefined;
}

/** Every parameter of a description, collections' and fixed collections' options included. */
export function allProperties(properties: INodeProperties[]): INodeProperties[] {
	return properties.flatMap((property) => {
		if (property.type === 'collection') return [property, ...allProperties(property.options as INodeProperties[])];
		if (property.type === 'fixedCollection') {
			return [property, ...(property.options ?? []).flatMap((group) => allProperties((group as { values: INodeProperties[] }).values))];
		}
		return [property];
	});
}

/** The option labels of every dropdown, with the field they belong to. */
export function optionLabels(description: INodeTypeDescription): Array<{ field: string; label: string }> {
	return allProperties(description.properties)
		.filter((property) => property.type === 'options' || property.type === 'multiOptions')
		.flatMap((property) => (property.options as INodePropertyOptions[]).map((option) => ({ field: property.displayName, label: option.name })));
}

/** n8n 2.41's label for a node's credential field (NodeCredentials.vue): its displayName, else "Credential". */
export function credentialLabels(description: INodeTypeDescription): string[] {
	return (description.credentials ?? []).map((credential) => credential.displayName ?? 'Credential');
}

/** Labels given to more than one credential field of a node (the editor would show them alike). */
export function duplicateCredentialLabels(description: INodeTypeDescription): string[] {
	const labels = credentialLabels(description);
	return labels.filter((label, index) => labels.indexOf(label) !== index);
}

/** The catalogue's long free-text inputs: text without a fixed list of values, up to 10,000 characters or more, not a secret. */
export function longTextInputs(): Array<{ operationId: string; field: string }> {
	return OPERATIONS.flatMap((operation) =>
		Object.entries(inputJsonSchema(operation.input).properties ?? {})
			.filter(([, schema]) => schema.type === 'string' && !schema.enum && !schema.secret && (schema.maxLength ?? 0) >= 10_000)
			.map(([field]) => ({ operationId: operation.id, field })),
	);
}

/** The field an operation shows for one input (top level or in Additional Fields), if any. */
export function fieldFor(description: INodeTypeDescription, operationId: string, field: string): INodeProperties | undefined {
	for (const property of description.properties) {
		if (!(property.displayOptions?.show?.operation as string[] | undefined)?.includes(operationId)) continue;
		if (property.name === field) return property;
		if (property.type === 'collection') {
			const inside = (property.options as INodeProperties[]).find((option) => option.name === field);
			if (inside) return inside;
		}
	}
	return undefined;
}

/** Just what n8n-workflow offers that the subtitle evaluation needs: ours, or the n8n install's own copy. */
export interface N8nWorkflowModule {
	Workflow: new (parameters: {
		nodes: unknown[];
		connections: object;
		active: boolean;
		nodeTypes: unknown;
	}) => { expression: { getSimpleParameterValue: (...args: unknown[]) => unknown } };
	NodeHelpers: { getNodeParameters: (...args: unknown[]) => unknown };
}

/**
 * The node's canvas subtitle for these parameters, evaluated as n8n's editor does it
 * (workflow.expression.getSimpleParameterValue(node, subtitle, 'internal', {}) over the node's full
 * parameters); undefined when the evaluation throws, as the editor shows nothing then.
 */
export function evaluateSubtitle(n8n: N8nWorkflowModule, description: INodeTypeDescription, set: Record<string, unknown>): unknown {
	const parameters = n8n.NodeHelpers.getNodeParameters(description.properties, set, true, false, null, description);
	const node = { id: 'n1', name: 'Node', type: `pkg.${description.name}`, typeVersion: 1, position: [0, 0], parameters };
	const type = { description };
	const nodeTypes = { getByName: () => type, getByNameAndVersion: () => type, getKnownTypes: () => ({}) };
	const workflow = new n8n.Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	try {
		return workflow.expression.getSimpleParameterValue(node, description.subtitle, 'internal', {});
	} catch {
		return undefined;
	}
}

/** The option n8n adds itself to nodes whose credential can authenticate any HTTP request (not an operation of ours). */
export const N8N_CUSTOM_API_CALL = '__CUSTOM_API_CALL__';

/** The parameters that pick each operation a node offers (resource too, when it has resources). */
export function operationChoices(description: INodeTypeDescription, field = 'operation'): Array<{ operationId: string; set: Record<string, unknown> }> {
	return description.properties
		.filter((property) => property.name === field && property.type === 'options')
		.flatMap((property) => {
			const resource = (property.displayOptions?.show?.resource as string[] | undefined)?.[0];
			return (property.options as INodePropertyOptions[]).filter((option) => option.value !== N8N_CUSTOM_API_CALL).map((option) => ({
				operationId: String(option.value),
				set: { ...(resource ? { resource } : {}), [field]: option.value },
			}));
		});
}
