import type { z } from 'zod/v4';

import { ValidationError, WidipError } from '../errors';
import type { AnyOperation, ServiceName } from './operation';
import { mcpToolName } from './operation';
import type { ServiceClients } from './services';

/** Turns zod issues into lines that name the field, e.g. `ttlSeconds: must be >= 0`. */
export function describeIssues(error: z.ZodError): string[] {
	return error.issues.map((issue) => {
		const field = issue.path.length > 0 ? issue.path.join('.') : '(input)';
		if (issue.code === 'unrecognized_keys') {
			return `${field}: unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
		}
		return `${field}: ${issue.message}`;
	});
}

export class OperationRegistry {
	private readonly byId = new Map<string, AnyOperation>();
	private readonly byMcpName = new Map<string, AnyOperation>();

	constructor(operations: readonly AnyOperation[]) {
		for (const operation of operations) {
			if (this.byId.has(operation.id)) {
				throw new Error(`Operation "${operation.id}" is defined twice in the catalogue`);
			}
			if (!operation.id.startsWith(`${operation.service}.`)) {
				throw new Error(`Operation "${operation.id}" must start with its service "${operation.service}."`);
			}
			this.byId.set(operation.id, operation);
			this.byMcpName.set(mcpToolName(operation.id), operation);
		}
	}

	list(filter?: { service?: ServiceName; ids?: readonly string[] }): AnyOperation[] {
		let operations = [...this.byId.values()];
		if (filter?.service) operations = operations.filter((op) => op.service === filter.service);
		if (filter?.ids) {
			const ids = filter.ids;
			operations = ids.map((id) => this.get(id));
		}
		return operations;
	}

	has(id: string): boolean {
		return this.byId.has(id);
	}

	get(id: string): AnyOperation {
		const operation = this.byId.get(id) ?? this.byMcpName.get(id);
		if (!operation) throw new WidipError('not_found', `Unknown operation "${id}"`, { service: 'catalogue' });
		return operation;
	}

	/** Parses raw arguments; a failure names every offending field in one clear message. */
	parseInput(id: string, raw: unknown): Record<string, unknown> {
		const operation = this.get(id);
		const result = operation.input.safeParse(raw ?? {});
		if (!result.success) {
			const issues = describeIssues(result.error);
			throw new ValidationError(`Invalid input for ${operation.id}: ${issues.join('; ')}`, issues, {
				service: operation.service,
				operation: operation.id,
			});
		}
		return result.data as Record<string, unknown>;
	}

	/**
	 * Validates, runs and checks the result against the output schema, so every face returns
	 * exactly what the catalogue promises.
	 */
	async run(id: string, raw: unknown, clients: Partial<ServiceClients>): Promise<unknown> {
		const operation = this.get(id);
		const input = this.parseInput(operation.id, raw);
		const client = clients[operation.service];
		if (!client) {
			throw new WidipError('unavailable', `No ${operation.service} client configured for ${operation.id}`, {
				service: operation.service,
				operation: operation.id,
			});
		}
		const output = await operation.handler(input, client);
		const checked = operation.output.safeParse(output);
		if (!checked.success) {
			throw new Error(
				`${operation.id} returned output that breaks its schema: ${describeIssues(checked.error).join('; ')}`,
			);
		}
		return checked.data;
	}
}
