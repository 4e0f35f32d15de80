import type { z } from 'zod/v4';

import type { ServiceClients } from './services';

/**
 * Safeguard levels (DESIGN.md): L0 read-only, L1 minor (needs confidence), L2 moderate (notify),
 * L3 sensitive (human approval), L4 forbidden to AI.
 */
export type SafeguardLevel = 0 | 1 | 2 | 3 | 4;

export type ServiceName = keyof ServiceClients;

/**
 * One operation, defined once. Node fields, MCP tools, Safeguard defaults and the README table are
 * all derived from this object; no face may redefine any of it.
 */
export interface Operation<
	S extends ServiceName = ServiceName,
	I extends z.ZodObject = z.ZodObject,
	O extends z.ZodType = z.ZodType,
> {
	/** `<service>.<snake_case_name>`, e.g. `glpi.create_ticket`. The MCP name swaps '.' for '_'. */
	id: `${S}.${string}`;
	service: S;
	/** Short label for people: the n8n operation name. */
	displayName: string;
	/** What the operation acts on (n8n's resource / operation style), e.g. `ticket`, `client`. */
	resource?: string;
	/** Written for both technicians and LLMs: what it does, when to use it, what it returns. */
	description: string;
	level: SafeguardLevel;
	/**
	 * Calling it twice with the same arguments has the effect of calling it once (MCP's
	 * idempotentHint). Reads (L0) are idempotent by nature; writes say so here.
	 */
	idempotent?: boolean;
	/**
	 * Run by workflows only, never offered to an AI agent (no MCP tool, refused as an n8n AI tool):
	 * platform state such as incident intake, breakers and claims that an agent must not steer.
	 */
	workflowOnly?: boolean;
	input: I;
	output: O;
	handler: (input: z.output<I>, client: ServiceClients[S]) => Promise<z.input<O>>;
}

/** Identity helper that keeps the literal types of an operation while checking its shape. */
export function defineOperation<S extends ServiceName, I extends z.ZodObject, O extends z.ZodType>(
	operation: Operation<S, I, O>,
): Operation<S, I, O> {
	return operation;
}

/** The MCP tool name of an operation: dots are not allowed in every MCP client's tool names. */
export function mcpToolName(operationId: string): string {
	return operationId.replace(/\./g, '_');
}

/**
 * An operation of any service, as lists and registries hold them. Its handler is typed loosely
 * because each service's handler takes its own client; the registry pairs them by `service`.
 */
export type AnyOperation = Omit<Operation, 'handler'> & {
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
	handler: (input: any, client: any) => Promise<unknown>;
};
