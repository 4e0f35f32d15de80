import type { z } from 'zod/v4';

import { DEFAULT_POLICY } from '../safeguard/decision';
import type { ServiceClients } from './services';

/**
 * Safeguard levels (DESIGN.md): L0 read-only, L1 minor (needs confidence), L2 moderate (notify),
 * L3 sensitive (human approval), L4 forbidden to AI.
 */
export type SafeguardLevel = 0 | 1 | 2 | 3 | 4;

/**
 * Each level as people read it: a short label (README table, the Gate's operation list) and what
 * Safeguard does with it when an AI asks (the Gate's and the AI tools' explanations).
 */
export const SAFEGUARD_LEVELS: Record<SafeguardLevel, { label: string; meaning: string }> = {
	0: { label: 'L0 read-only', meaning: 'reads only, always runs' },
	1: { label: 'L1 minor', meaning: `a small change, runs when the agent's confidence reaches the threshold (${DEFAULT_POLICY.l1MinConfidence} by default), otherwise a technician decides` },
	2: { label: 'L2 moderate', meaning: 'runs, and technicians are notified' },
	3: { label: 'L3 sensitive', meaning: "waits for a technician's approval" },
	4: { label: 'L4 forbidden', meaning: 'never done for an AI agent, a person must do it' },
};

export type ServiceName = keyof ServiceClients;

/** Each service as people name it (the Gate's operation list, labels). */
export const SERVICE_TITLES: Record<ServiceName, string> = {
	glpi: 'GLPI',
	observium: 'Observium',
	phibee: 'Phibee',
	mysecret: 'MySecret',
	mail: 'Mail',
	ad: 'Active Directory',
	redis: 'Redis',
	incident: 'Incident',
	breaker: 'Circuit Breaker',
	claim: 'Ticket Claim',
};

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
	/**
	 * One sentence for technicians (the n8n editor's operation lists): what it does, in words, without
	 * the return shapes and calling rules the description gives language models.
	 */
	summary: string;
	/** Written for LLMs (MCP tool, AI agents) and developers: what it does, when to use it, what it returns. */
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

/** The operation as people read it in one list of every operation: `GLPI · Create Ticket (L1 minor)`. */
export function operationLabel(operation: Pick<AnyOperation, 'service' | 'displayName' | 'level'>): string {
	return `${SERVICE_TITLES[operation.service]} · ${operation.displayName} (${SAFEGUARD_LEVELS[operation.level].label})`;
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
