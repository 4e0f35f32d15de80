import { deepCopy, Workflow, type INode, type INodeParameters } from 'n8n-workflow';

import type { NodeTypeRegistry } from './node-types/registry';
import type { Finding, NodeTypeLookup, ResolvedNodeType, Severity, WorkflowJson } from './types';

export const NONE = '-';
export const STICKY_NOTE = 'n8n-nodes-base.stickyNote';

export interface NodeEntry {
	/** The node exactly as written in the file. */
	node: INode;
	lookup?: NodeTypeLookup;
	/** Set when the type (and version) is known: what the checks compare against. */
	type?: ResolvedNodeType;
	/** The node as n8n holds it after loading: parameters with the description's defaults filled in. */
	loaded?: INode;
}

/** One workflow under validation: its nodes with their types, and where findings go. */
export class WorkflowContext {
	readonly nodes = new Map<string, NodeEntry>();
	/** n8n-workflow's own Workflow, for what n8n computes (defaults, dynamic inputs and outputs). */
	readonly n8n: Workflow;

	constructor(
		readonly file: string,
		readonly workflow: WorkflowJson,
		readonly registry: NodeTypeRegistry,
		private readonly findings: Finding[],
		readonly notes: Set<string>,
	) {
		const nodes = Array.isArray(workflow.nodes) ? workflow.nodes : [];
		for (const node of nodes) {
			if (!node || typeof node.name !== 'string' || this.nodes.has(node.name)) continue;
			const entry: NodeEntry = { node };
			if (typeof node.type === 'string' && typeof node.typeVersion === 'number') {
				entry.lookup = registry.lookup(node.type, node.typeVersion);
				if (entry.lookup.kind === 'found') entry.type = entry.lookup.type;
			}
			this.nodes.set(node.name, entry);
		}
		// Workflow fills parameters in place: give it copies, keep the file's nodes as written.
		const copies = [...this.nodes.values()].filter((entry) => entry.type).map((entry) => deepCopy(entry.node));
		this.n8n = new Workflow({
			id: typeof workflow.id === 'string' ? workflow.id : undefined,
			name: workflow.name,
			nodes: copies,
			connections: isObject(workflow.connections) ? workflow.connections : {},
			active: false,
			nodeTypes: registry.asNodeTypes(),
			settings: isObject(workflow.settings) ? workflow.settings : {},
		});
		for (const copy of copies) this.nodes.get(copy.name)!.loaded = copy;
	}

	report(node: string, field: string, message: string, severity: Severity = 'error'): void {
		this.findings.push({ file: this.file, node, field, message, severity });
	}

	note(note: string): void {
		this.notes.add(note);
	}

	entries(): NodeEntry[] {
		return [...this.nodes.values()];
	}
}

export function isObject(value: unknown): value is Record<string, never> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isExpression(value: unknown): boolean {
	return typeof value === 'string' && value.startsWith('=');
}

export type { INodeParameters };
