import { inputJsonSchema } from '../catalogue/json-schema';
import type { AnyOperation } from '../catalogue/operation';

export const REDACTED = '[redacted]';

/**
 * The arguments as people and audit records may see them: every input the catalogue marks secret
 * (`.meta({ secret: true })`) is replaced. The digest is still computed on the real arguments.
 */
export function redactArguments(operation: AnyOperation, args: Record<string, unknown>): Record<string, unknown> {
	const properties = inputJsonSchema(operation.input).properties ?? {};
	return Object.fromEntries(
		Object.entries(args).map(([key, value]) => [key, properties[key]?.secret ? REDACTED : value]),
	);
}
