import type { INodeProperties, INodePropertyOptions, NodeParameterValueType } from 'n8n-workflow';

import { inputJsonSchema, type JsonSchemaObject } from '../../core/catalogue/json-schema';
import type { AnyOperation } from '../../core/catalogue/operation';
import { gateApprovalProperty } from './gate-approval';
import { safeguardToolProperties } from './tool-safeguard';

export const OPERATION_FIELD = 'operation';
export const RESOURCE_FIELD = 'resource';
/** Optional inputs without a default live in this collection, as n8n nodes usually do. */
export const ADDITIONAL_FIELDS = 'additionalFields';

export interface FieldPlan {
	/** Input properties shown as top-level node fields. */
	topLevel: string[];
	/** Optional inputs grouped under "Additional Fields". */
	additional: string[];
	/** Fields edited as JSON text and parsed before validation. */
	json: Set<string>;
	/** Text fields: an expression that yields a number (`{{ $json.deviceId }}`) still means text. */
	text: Set<string>;
}

function titleCase(name: string): string {
	const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
	return words.charAt(0).toUpperCase() + words.slice(1);
}

function isJsonField(schema: JsonSchemaObject): boolean {
	if (schema.enum) return false;
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	return !type || type === 'object' || type === 'array';
}

/** Which input goes where, read from the operation's input schema alone. */
export function planFields(operation: AnyOperation): FieldPlan {
	const schema = inputJsonSchema(operation.input);
	const required = new Set(schema.required ?? []);
	const plan: FieldPlan = { topLevel: [], additional: [], json: new Set(), text: new Set() };
	for (const [name, property] of Object.entries(schema.properties ?? {})) {
		if (required.has(name) || property.default !== undefined) plan.topLevel.push(name);
		else plan.additional.push(name);
		if (isJsonField(property)) plan.json.add(name);
		if (property.type === 'string' && !property.enum) plan.text.add(name);
	}
	return plan;
}

function fieldFromSchema(name: string, schema: JsonSchemaObject, required: boolean): INodeProperties {
	const base = {
		displayName: schema.title ?? titleCase(name),
		name,
		description: schema.description,
		...(schema.placeholder ? { placeholder: schema.placeholder } : {}),
		...(required ? { required: true } : {}),
	};
	const n8nDefault = schema.n8nDefault as NodeParameterValueType | undefined;
	if (schema.enum) {
		// `labels` (zod meta) names coded values, e.g. GLPI's 1 → "Incident".
		const labels = (schema.labels ?? {}) as Record<string, string>;
		const options: INodePropertyOptions[] = schema.enum.map((value) => ({
			name: labels[String(value)] ?? titleCase(String(value)),
			value: value as string,
		}));
		return { ...base, type: 'options', options, default: (schema.default ?? options[0]?.value ?? '') as string };
	}
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	switch (type) {
		case 'string':
			return {
				...base,
				type: 'string',
				default: (n8nDefault ?? schema.default ?? '') as string,
				// Long free text (a ticket's content, a mail body) gets a box as many lines high as the catalogue says.
				...(schema.secret ? { typeOptions: { password: true } } : schema.rows ? { typeOptions: { rows: schema.rows } } : {}),
			};
		case 'integer':
		case 'number':
			return {
				...base,
				type: 'number',
				default: (schema.default ?? schema.minimum ?? 0) as number,
				typeOptions: {
					...(schema.minimum !== undefined ? { minValue: schema.minimum } : {}),
					...(schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? { maxValue: schema.maximum } : {}),
					...(type === 'integer' ? { numberPrecision: 0 } : {}),
				},
			};
		case 'boolean':
			return { ...base, type: 'boolean', default: (schema.default ?? false) as boolean };
		default:
			return {
				...base,
				type: 'json',
				default: JSON.stringify(schema.default ?? (type === 'array' ? [] : {}), null, 2),
			};
	}
}

function operationField(operations: readonly AnyOperation[], resource?: string): INodeProperties {
	// The rule only sees literal defaults; this one is the first catalogue operation.
	// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
	return {
		displayName: 'Operation',
		name: OPERATION_FIELD,
		type: 'options',
		noDataExpression: true,
		...(resource ? { displayOptions: { show: { [RESOURCE_FIELD]: [resource] } } } : {}),
		options: operations.map((operation) => ({
			name: operation.displayName,
			value: operation.id,
			// People read this list: the summary, not the description written for language models.
			description: operation.summary,
			action: operation.displayName,
		})),
		default: operations[0].id,
	};
}

function escapeHtml(text: string): string {
	return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One input's kind in words: "text", "whole number", "1 = Incident, 2 = Request"… */
function describeKind(schema: JsonSchemaObject): string {
	if (schema.enum) {
		const labels = (schema.labels ?? {}) as Record<string, string>;
		return `one of ${schema.enum.map((value) => (labels[String(value)] ? `${JSON.stringify(value)} = ${labels[String(value)]}` : JSON.stringify(value))).join(', ')}`;
	}
	const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
	switch (type) {
		case 'string':
			return 'text';
		case 'integer':
			return 'whole number';
		case 'number':
			return 'number';
		case 'boolean':
			return 'true or false';
		case 'array':
			return 'list';
		default:
			return 'JSON object';
	}
}

/**
 * The keys an operation's arguments take, for people writing them by hand (the Safeguard Gate's
 * Arguments): each with its kind, whether it is required or its default, and its description.
 * HTML limited to what n8n's notices render (ul, li).
 */
export function describeArguments(operation: AnyOperation): string {
	const schema = inputJsonSchema(operation.input);
	const required = new Set(schema.required ?? []);
	const keys = Object.entries(schema.properties ?? {}).map(([name, property]) => {
		const need = required.has(name) ? 'required' : property.default !== undefined ? `default ${JSON.stringify(property.default)}` : 'optional';
		const about = property.description ? `: ${property.description}` : '';
		return `<li>${escapeHtml(`${name} (${describeKind(property)}, ${need})${about}`)}</li>`;
	});
	const title = escapeHtml(`${operation.displayName} (${operation.id})`);
	if (keys.length === 0) return `${title} takes no arguments: leave Arguments as {}.`;
	return `${title} takes these keys in Arguments:<ul>${keys.join('')}</ul>`;
}

/**
 * The node's canvas subtitle: the chosen operation in words ("Create Ticket"), never its id. n8n
 * evaluates it in the editor with `$parameter` holding the node's raw parameters.
 */
export function catalogueSubtitle(
	operations: readonly AnyOperation[],
	{ parameter = OPERATION_FIELD, label = (operation: AnyOperation) => operation.displayName, otherwise = '' } = {},
): string {
	const names = Object.fromEntries(operations.map((operation) => [operation.id, label(operation)]));
	const lookup = `(${JSON.stringify(names)})[$parameter[${JSON.stringify(parameter)}]] || ${JSON.stringify(otherwise)}`;
	if (!otherwise) return `={{ ${lookup} }}`;
	// A field that takes expressions: in the editor its expression often cannot be resolved yet (no
	// run data), and reading $parameter then throws; the subtitle says so rather than going blank.
	return `={{ (() => { try { return ${lookup}; } catch (error) { return ${JSON.stringify(otherwise)}; } })() }}`;
}

/**
 * The node's whole parameter list, derived from the catalogue: a Resource dropdown when the
 * operations name resources, an Operation dropdown, then each operation's inputs shown only for
 * that operation. Nothing here is written per field by hand.
 */
export function catalogueProperties(operations: readonly AnyOperation[]): INodeProperties[] {
	const resources = [...new Set(operations.map((operation) => operation.resource).filter(Boolean))] as string[];
	const properties: INodeProperties[] = [];
	if (resources.length > 0) {
		// The rule only sees literal defaults; this one is the first resource.
		// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
		properties.push({
			displayName: 'Resource',
			name: RESOURCE_FIELD,
			type: 'options',
			noDataExpression: true,
			options: resources.map((resource) => ({ name: titleCase(resource), value: resource })),
			default: resources[0],
		});
		for (const resource of resources) {
			properties.push(operationField(operations.filter((operation) => operation.resource === resource), resource));
		}
	} else {
		properties.push(operationField(operations));
	}
	for (const operation of operations) {
		const schema = inputJsonSchema(operation.input);
		const required = new Set(schema.required ?? []);
		const plan = planFields(operation);
		const show = { displayOptions: { show: { [OPERATION_FIELD]: [operation.id] } } };
		for (const name of plan.topLevel) {
			properties.push({ ...fieldFromSchema(name, schema.properties![name], required.has(name)), ...show });
		}
		if (plan.additional.length > 0) {
			properties.push({
				displayName: 'Additional Fields',
				name: ADDITIONAL_FIELDS,
				type: 'collection',
				placeholder: 'Add Field',
				default: {},
				options: plan.additional.map((name) => fieldFromSchema(name, schema.properties![name], false)),
				...show,
			});
		}
	}
	// Only the AI tool variant shows these (n8n's `@tool` display condition).
	if (operations.some((operation) => operation.level > 0)) properties.push(...safeguardToolProperties(operations));
	// Only outside AI tools: runs an action a Safeguard Gate approved.
	properties.push(...gateApprovalProperty(operations));
	return properties;
}
