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
				...(schema.secret ? { typeOptions: { password: true } } : {}),
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
			description: operation.description,
			action: operation.displayName,
		})),
		default: operations[0].id,
	};
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
	if (operations.some((operation) => operation.level > 0)) properties.push(...safeguardToolProperties());
	// Only outside AI tools: runs an action a Safeguard Gate approved.
	properties.push(...gateApprovalProperty(operations));
	return properties;
}
