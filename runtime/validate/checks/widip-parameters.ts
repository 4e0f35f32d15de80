import type { z } from 'zod/v4';

import { catalogue } from '../../../core/catalogue';
import type { AnyOperation } from '../../../core/catalogue/operation';
import { ADDITIONAL_FIELDS, OPERATION_FIELD, planFields } from '../../../nodes/shared/catalogue-properties';
import { isExpression, isObject, type WorkflowContext } from '../context';
import { WIDIP_PACKAGE } from '../node-types/widip';

/** A node whose Operation dropdown is the catalogue's: its fields are the operation's inputs. */
function isCatalogueNode(options: unknown): boolean {
	return Array.isArray(options) && options.length > 0 && options.every((option: { value?: unknown }) => catalogue.has(String(option.value)));
}

/** The value execute() hands the catalogue: text fields as text, JSON fields parsed. */
function asArgument(operation: AnyOperation, field: string, value: unknown): { value: unknown } | { error: string } {
	const plan = planFields(operation);
	if (plan.text.has(field) && (typeof value === 'number' || typeof value === 'boolean')) return { value: String(value) };
	if (plan.json.has(field) && typeof value === 'string') {
		try {
			return { value: JSON.parse(value) };
		} catch {
			return { error: 'is not valid JSON' };
		}
	}
	return { value };
}

function issueText(field: string, error: z.ZodError): string {
	return error.issues.map((issue) => `${[field, ...issue.path].join('.')}: ${issue.message}`).join('; ');
}

/**
 * Our catalogue nodes (`n8n-nodes-widip.*`): the operation exists, and each fixed field value passes
 * the operation's own zod input schema, field by field, so the file fails here with the message the
 * node would fail with at run time. Expressions are left to run time.
 */
export function checkWidipParameters(context: WorkflowContext): void {
	for (const { node, type } of context.entries()) {
		if (!type || !node.type.startsWith(`${WIDIP_PACKAGE}.`) || !isObject(node.parameters)) continue;
		const operationProperty = type.description.properties.find((property) => property.name === OPERATION_FIELD);
		if (!isCatalogueNode(operationProperty?.options)) continue;
		const parameters = node.parameters as Record<string, unknown>;
		const operationId = parameters[OPERATION_FIELD] ?? operationProperty?.default;
		if (isExpression(operationId)) continue;
		if (typeof operationId !== 'string' || !catalogue.has(operationId)) {
			let message = `unknown operation ${JSON.stringify(operationId)}`;
			try {
				catalogue.get(String(operationId));
			} catch (error) {
				message = (error as Error).message;
			}
			context.report(node.name, `parameters.${OPERATION_FIELD}`, message);
			continue;
		}
		const operation = catalogue.get(operationId);
		const plan = planFields(operation);
		const required = new Set(Object.keys(operation.input.shape).filter((field) => !operation.input.shape[field].safeParse(undefined).success));
		const additional = isObject(parameters[ADDITIONAL_FIELDS]) ? (parameters[ADDITIONAL_FIELDS] as Record<string, unknown>) : {};
		const fields = [
			...plan.topLevel.map((field) => ({ field, value: parameters[field], path: `parameters.${field}`, set: field in parameters })),
			...plan.additional.map((field) => ({ field, value: additional[field], path: `parameters.${ADDITIONAL_FIELDS}.${field}`, set: field in additional })),
		];
		for (const { field, value, path, set } of fields) {
			if (!set) {
				// n8n would silently run with the field's default (e.g. ticket 1): an input the
				// operation requires must be written out.
				if (required.has(field)) context.report(node.name, path, `${operation.id} requires "${field}": not set, n8n would send the field's default`, 'warning');
				continue;
			}
			if (isExpression(value) || (node.type.endsWith('Tool') && typeof value === 'string' && value.includes('$fromAI('))) continue;
			// A deploy variable left unset (validate warned once per file): its value is not known here.
			if (typeof value === 'string' && /\$\{WIDIP_FLOW_[A-Z0-9_]+\}/.test(value)) continue;
			const argument = asArgument(operation, field, value);
			if ('error' in argument) {
				context.report(node.name, path, `${field} ${argument.error}`);
				continue;
			}
			const result = operation.input.shape[field].safeParse(argument.value);
			if (!result.success) context.report(node.name, path, `Invalid input for ${operation.id}: ${issueText(field, result.error)}`);
		}
	}
}
