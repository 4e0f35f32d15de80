import type { Tool } from '@modelcontextprotocol/sdk/types.js';

import { inputJsonSchema, outputJsonSchema } from './json-schema';
import type { AnyOperation } from './operation';
import { mcpToolName, SERVICE_TITLES } from './operation';

/**
 * MCP tool annotations, every one set explicitly (the spec's defaults assume the worst, e.g.
 * destructiveHint true): L0 reads, L3/L4 can destroy, idempotent as the operation declares, and
 * every service but WIDIP's own Redis lies outside the server. Hints only: Safeguard enforces.
 */
export function mcpAnnotations(operation: AnyOperation): NonNullable<Tool['annotations']> {
	return {
		title: `${SERVICE_TITLES[operation.service]}: ${operation.displayName}`,
		readOnlyHint: operation.level === 0,
		destructiveHint: operation.level >= 3,
		idempotentHint: operation.level === 0 || operation.idempotent === true,
		openWorldHint: operation.service !== 'redis',
	};
}

/** The MCP tool definition of an operation, derived entirely from the catalogue. */
export function toMcpTool(operation: AnyOperation): Tool {
	const output = outputJsonSchema(operation.output);
	return {
		name: mcpToolName(operation.id),
		title: operation.displayName,
		description: operation.description,
		inputSchema: { ...inputJsonSchema(operation.input), type: 'object' },
		// MCP requires an object output schema; union outputs are described but not declared.
		...(output.type === 'object' ? { outputSchema: { ...output, type: 'object' as const } } : {}),
		annotations: mcpAnnotations(operation),
		_meta: { 'widip/operationId': operation.id, 'widip/safeguardLevel': operation.level },
	};
}
