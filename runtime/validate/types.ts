import type { IConnections, INode, INodeType, INodeTypeDescription } from 'n8n-workflow';

export type Severity = 'error' | 'warning';

/** One problem, located as `file:node:field` (node = node name, field = parameter path; `-` when none). */
export interface Finding {
	file: string;
	node: string;
	field: string;
	message: string;
	severity: Severity;
}

export interface ValidateOptions {
	/**
	 * An n8n install whose node_modules holds n8n-nodes-base and @n8n/n8n-nodes-langchain. Without
	 * it: WIDIP_N8N_DIR from `env`, else those packages resolved from `cwd`.
	 */
	n8nDir?: string;
	env?: NodeJS.ProcessEnv;
	/** Where relative paths and the fallback package resolution start (default: process.cwd()). */
	cwd?: string;
}

export interface ValidateResult {
	/** Every workflow file read, in the order validated. */
	files: string[];
	findings: Finding[];
	/** What could not be checked, and why (never an error). */
	notes: string[];
}

/** A workflow as n8n exports it; only what validate reads is typed. */
export interface WorkflowJson {
	id?: string;
	name?: string;
	nodes: INode[];
	connections: IConnections;
	settings?: Record<string, unknown>;
}

/** One workflow and the file it came from (a file may hold an array of workflows). */
export interface LoadedWorkflow {
	file: string;
	workflow: WorkflowJson;
}

/** A node type as validate sees it: one version's description, and every version that exists. */
export interface ResolvedNodeType {
	nodeType: INodeType;
	description: INodeTypeDescription;
	versions: number[];
}

export type NodeTypeLookup =
	| { kind: 'found'; type: ResolvedNodeType }
	/** The package is known and does not have it (an error). */
	| { kind: 'unknown'; message: string }
	/** It exists but not in this version (an error). */
	| { kind: 'bad-version'; versions: number[] }
	/** Nobody here can tell (a note, never an error). */
	| { kind: 'unchecked'; note: string };

/** Thrown for what the CLI answers with exit 2: a path that is missing, unreadable or not JSON. */
export class WorkflowInputError extends Error {
	constructor(
		readonly file: string,
		message: string,
	) {
		super(`${file}: ${message}`);
		this.name = 'WorkflowInputError';
	}
}
