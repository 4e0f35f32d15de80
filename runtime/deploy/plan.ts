import { readFileSync } from 'node:fs';

import { POST_ONLY_WEBHOOK_TYPES } from '../validate/checks/paths';
import { expandPaths } from '../validate/files';
import { substituteVariables } from './variables';

import { DeployError, type N8nCredential, type N8nNode, type N8nWorkflow, type WorkflowBody } from './n8n-api';

/** What a workflow file declares, read once. */
export interface WorkflowFile {
	file: string;
	name: string;
	/** Files saying `"active": false` are deployed without publishing (fixtures, manual-only flows). */
	publish: boolean;
	json: { nodes: N8nNode[]; connections: Record<string, unknown>; settings?: Record<string, unknown> };
}

/** The workflow settings n8n's public API accepts (its schema refuses any other key). */
const API_SETTINGS = [
	'saveExecutionProgress',
	'saveManualExecutions',
	'saveDataErrorExecution',
	'saveDataSuccessExecution',
	'executionTimeout',
	'errorWorkflow',
	'timezone',
	'executionOrder',
	'callerPolicy',
	'callerIds',
	'timeSavedMode',
	'timeSavedPerExecution',
	'availableInMCP',
];

/** The node keys n8n's public API accepts, in a stable order. */
const API_NODE_KEYS = [
	'id',
	'name',
	'webhookId',
	'disabled',
	'notesInFlow',
	'notes',
	'type',
	'typeVersion',
	'executeOnce',
	'alwaysOutputData',
	'retryOnFail',
	'maxTries',
	'waitBetweenTries',
	'continueOnFail',
	'onError',
	'position',
	'parameters',
	'credentials',
];

/** The files validate reads (its own expansion of files and folders), parsed for deploy. */
export async function readWorkflowFiles(targets: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<WorkflowFile[]> {
	let files: string[];
	try {
		files = await expandPaths(targets, process.cwd());
	} catch (error) {
		throw new DeployError((error as Error).message, 2);
	}
	const byName = new Map<string, string>();
	return files.map((file) => {
		let json: Record<string, unknown>;
		try {
			json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
		} catch (error) {
			throw new DeployError(`${file}: not valid JSON (${(error as Error).message})`, 2);
		}
		const name = typeof json.name === 'string' ? json.name.trim() : '';
		if (!name) throw new DeployError(`${file}: the workflow has no name; deploy matches workflows by name`, 1);
		const twin = byName.get(name);
		if (twin) throw new DeployError(`${file}: the name "${name}" is also used by ${twin}; deploy matches workflows by name, so names must be unique`, 1);
		byName.set(name, file);
		if (!Array.isArray(json.nodes)) throw new DeployError(`${file}: "nodes" is not a list`, 1);
		const filled = substituteVariables(json.nodes as N8nNode[], env);
		if (filled.missing.length > 0) {
			throw new DeployError(`${file}: deploy variable(s) ${filled.missing.join(', ')} not set; set them in the environment of widip deploy (see README, Deploy)`, 1);
		}
		json.nodes = filled.value;
		return {
			file,
			name,
			publish: json.active !== false,
			json: { nodes: json.nodes as N8nNode[], connections: (json.connections ?? {}) as Record<string, unknown>, settings: json.settings as Record<string, unknown> | undefined },
		};
	});
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
	const picked: Record<string, unknown> = {};
	for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
	return picked;
}

/** Sub-workflow references: an Execute Workflow node's `workflowId` naming a workflow by name. */
function workflowReference(node: N8nNode): { value: string; locator: Record<string, unknown> | undefined } | undefined {
	if (node.type !== 'n8n-nodes-base.executeWorkflow' && node.type !== '@n8n/n8n-nodes-langchain.toolWorkflow') return undefined;
	const raw = node.parameters?.workflowId;
	if (typeof raw === 'string') return { value: raw, locator: undefined };
	if (raw && typeof raw === 'object' && (raw as Record<string, unknown>).__rl) {
		const locator = raw as Record<string, unknown>;
		return { value: String(locator.cachedResultName ?? locator.value ?? ''), locator };
	}
	return undefined;
}

/** Names of the deployed workflows a file calls, so they are deployed (and get ids) first. */
export function referencedNames(file: WorkflowFile, names: ReadonlySet<string>): string[] {
	return file.json.nodes.map(workflowReference).filter((ref) => ref && names.has(ref.value)).map((ref) => ref!.value);
}

/**
 * n8n 2.x refuses to publish a workflow whose sub-workflow is not published: a published caller
 * deployed with a callee whose file says `"active": false` would fail half-way, so it is a problem
 * found before any write.
 */
export function unpublishedCallees(files: readonly WorkflowFile[]): string[] {
	const names = new Set(files.map((file) => file.name));
	const byName = new Map(files.map((file) => [file.name, file]));
	return files
		.filter((file) => file.publish)
		.flatMap((file) =>
			referencedNames(file, names)
				.filter((callee) => !byName.get(callee)!.publish)
				.map((callee) => `${file.file}: calls "${callee}", whose file says "active": false; n8n publishes a workflow only when the sub-workflows it calls are published`),
		);
}

/** Callees before callers; a cycle of sub-workflow calls cannot get ids in any order. */
export function deployOrder(files: WorkflowFile[]): WorkflowFile[] {
	const names = new Set(files.map((file) => file.name));
	const byName = new Map(files.map((file) => [file.name, file]));
	const ordered: WorkflowFile[] = [];
	const state = new Map<string, 'visiting' | 'done'>();
	const visit = (file: WorkflowFile, chain: string[]) => {
		if (state.get(file.name) === 'done') return;
		if (state.get(file.name) === 'visiting') throw new DeployError(`sub-workflow calls form a cycle: ${[...chain, file.name].join(' → ')}`, 1);
		state.set(file.name, 'visiting');
		for (const callee of referencedNames(file, names)) visit(byName.get(callee)!, [...chain, file.name]);
		state.set(file.name, 'done');
		ordered.push(file);
	};
	for (const file of files) visit(file, []);
	return ordered;
}

export interface Resolution {
	/** Existing workflows by name (not archived). */
	workflowIds: ReadonlyMap<string, string>;
	credentials: readonly N8nCredential[];
}

/**
 * The body deploy sends for one file: only what n8n's API accepts, credentials pointed at the ids
 * of the credentials of that name and type, sub-workflow names turned into ids. Every missing
 * credential or workflow is reported at once, before anything is written.
 */
export function desiredBody(file: WorkflowFile, resolution: Resolution, problems: string[]): WorkflowBody {
	const nodes = file.json.nodes.map((raw) => {
		const node = pick(raw as Record<string, unknown>, API_NODE_KEYS) as N8nNode;
		if (node.credentials) {
			const credentials: Record<string, { id: string; name: string }> = {};
			for (const [type, reference] of Object.entries(node.credentials)) {
				const name = reference?.name;
				const matches = resolution.credentials.filter((credential) => credential.type === type && credential.name === name);
				if (!name) problems.push(`${file.file}:${node.name}:credentials.${type}: no credential name (deploy matches credentials by name and type)`);
				else if (matches.length === 0) problems.push(`${file.file}:${node.name}:credentials.${type}: no ${type} credential named "${name}" in n8n; create it first (Credentials → Add), then deploy again`);
				else if (matches.length > 1) problems.push(`${file.file}:${node.name}:credentials.${type}: ${matches.length} ${type} credentials are named "${name}" in n8n (ids ${matches.map((m) => m.id).join(', ')}); rename all but one`);
				else credentials[type] = { id: matches[0].id, name };
			}
			node.credentials = credentials;
		}
		const reference = workflowReference(node);
		if (reference) {
			const id = resolution.workflowIds.get(reference.value);
			if (id) {
				node.parameters = {
					...node.parameters,
					workflowId: { __rl: true, mode: 'list', value: id, cachedResultName: reference.value },
				};
			} else if (!reference.value.startsWith('=')) {
				problems.push(`${file.file}:${node.name}:parameters.workflowId: calls "${reference.value}", which is neither in the files deployed nor a workflow of that name in n8n`);
			}
		}
		return node;
	});
	return { name: file.name, nodes, connections: file.json.connections, settings: { executionOrder: 'v1', ...pick(file.json.settings ?? {}, API_SETTINGS) } };
}

/** A workflow as n8n returned it, cut down to what its API accepts back (rollback puts it back so). */
export function apiBody(workflow: N8nWorkflow): WorkflowBody {
	return {
		name: workflow.name,
		nodes: workflow.nodes.map((node) => pick(node as Record<string, unknown>, API_NODE_KEYS) as N8nNode),
		connections: workflow.connections,
		settings: pick(workflow.settings ?? {}, API_SETTINGS),
	};
}

/** Canonical JSON: object keys sorted, so equal content compares equal whatever the key order. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value as object)
			.filter((key) => (value as Record<string, unknown>)[key] !== undefined)
			.sort()
			.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

export interface Difference {
	nodesAdded: string[];
	nodesRemoved: string[];
	nodesChanged: Array<{ node: string; fields: string[] }>;
	connections: boolean;
	settings: string[];
}

/**
 * What deploying `desired` over `current` would change, compared on what deploy sends: n8n's own
 * additions to a stored node (defaults it fills) are not differences.
 */
export function difference(desired: WorkflowBody, current: N8nWorkflow): Difference {
	const currentNodes = new Map(current.nodes.map((node) => [node.name, node as Record<string, unknown>]));
	const desiredNames = new Set(desired.nodes.map((node) => node.name));
	const nodesChanged: Difference['nodesChanged'] = [];
	for (const node of desired.nodes) {
		const existing = currentNodes.get(node.name);
		if (!existing) continue;
		const fields = Object.keys(node).filter((key) => canonical((node as Record<string, unknown>)[key]) !== canonical(existing[key]));
		if (fields.length > 0) nodesChanged.push({ node: node.name, fields });
	}
	const currentSettings = current.settings ?? {};
	return {
		nodesAdded: desired.nodes.filter((node) => !currentNodes.has(node.name)).map((node) => node.name),
		nodesRemoved: current.nodes.filter((node) => !desiredNames.has(node.name)).map((node) => node.name),
		nodesChanged,
		connections: canonical(desired.connections) !== canonical(current.connections),
		settings: Object.keys(desired.settings).filter((key) => canonical(desired.settings[key]) !== canonical(currentSettings[key])),
	};
}

export function isSame(diff: Difference): boolean {
	return diff.nodesAdded.length + diff.nodesRemoved.length + diff.nodesChanged.length + diff.settings.length === 0 && !diff.connections;
}

export function describeDifference(diff: Difference): string[] {
	const lines: string[] = [];
	for (const name of diff.nodesAdded) lines.push(`+ node "${name}"`);
	for (const name of diff.nodesRemoved) lines.push(`- node "${name}"`);
	for (const { node, fields } of diff.nodesChanged) lines.push(`~ node "${node}": ${fields.join(', ')}`);
	if (diff.connections) lines.push('~ connections');
	for (const key of diff.settings) lines.push(`~ settings.${key}`);
	return lines;
}

/** `METHOD path` of each webhook node (n8n refuses to publish two workflows on one). */
export function webhookPaths(nodes: readonly N8nNode[]): string[] {
	return nodes
		.filter((node) => (node.type === 'n8n-nodes-base.webhook' || POST_ONLY_WEBHOOK_TYPES.has(node.type)) && !node.disabled && typeof node.parameters?.path === 'string')
		.map((node) => `${POST_ONLY_WEBHOOK_TYPES.has(node.type) ? 'POST' : String(node.parameters?.httpMethod ?? 'GET').toUpperCase()} ${String(node.parameters?.path).replace(/^\/+/, '')}`);
}

/**
 * Webhook paths the files would take that a published workflow outside this deploy already serves:
 * found before any write, rather than as n8n's 409 halfway through.
 */
export function webhookConflicts(files: readonly WorkflowFile[], existing: readonly N8nWorkflow[]): string[] {
	const ours = new Set(files.map((file) => file.name));
	const taken = new Map<string, string>();
	for (const workflow of existing) {
		if (ours.has(workflow.name) || !workflow.active) continue;
		for (const path of webhookPaths(workflow.nodes ?? [])) taken.set(path, workflow.name);
	}
	const problems: string[] = [];
	for (const file of files) {
		for (const path of webhookPaths(file.json.nodes)) {
			const owner = taken.get(path);
			if (owner) problems.push(`${file.file}:-:webhook: ${path} is already served by the published workflow "${owner}" in n8n; change one path`);
		}
	}
	return problems;
}
