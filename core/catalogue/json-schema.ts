import { z } from 'zod/v4';

export interface JsonSchemaObject {
	type?: string | string[];
	title?: string;
	description?: string;
	default?: unknown;
	enum?: unknown[];
	const?: unknown;
	properties?: Record<string, JsonSchemaObject>;
	required?: string[];
	items?: JsonSchemaObject;
	minimum?: number;
	maximum?: number;
	exclusiveMinimum?: number;
	minLength?: number;
	maxLength?: number;
	anyOf?: JsonSchemaObject[];
	oneOf?: JsonSchemaObject[];
	examples?: unknown[];
	/** Our metadata (zod `.meta()`): a value that must be masked in UIs and logs. */
	secret?: boolean;
	/** Our metadata: placeholder text for form fields. */
	placeholder?: string;
	/** Our metadata: long free text (a ticket's content, a mail body) is edited in a box this many lines high. */
	rows?: number;
	[key: string]: unknown;
}

/**
 * JSON Schema of what a caller may *send* (io: 'input'): fields with defaults are optional.
 * Every face that describes arguments (n8n fields, MCP inputSchema) starts from this.
 */
export function inputJsonSchema(schema: z.ZodType): JsonSchemaObject {
	// Derived once per schema: the runtime asks for it on every call (redaction, MCP), and zod's
	// conversion is far costlier than the call itself. Callers copy before changing it.
	let derived = inputSchemas.get(schema);
	if (!derived) {
		derived = withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
		inputSchemas.set(schema, derived);
	}
	return derived;
}

const inputSchemas = new WeakMap<z.ZodType, JsonSchemaObject>();

/** JSON Schema of what an operation *returns* (io: 'output'). */
export function outputJsonSchema(schema: z.ZodType): JsonSchemaObject {
	return withoutDialect(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }));
}

/** MCP and n8n want the bare schema; the `$schema` dialect line only adds noise there. */
function withoutDialect(schema: object): JsonSchemaObject {
	const copy = { ...(schema as JsonSchemaObject) };
	delete copy.$schema;
	return copy;
}
