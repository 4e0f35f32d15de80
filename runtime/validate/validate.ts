import { substituteVariables } from '../deploy/variables';
import { WorkflowContext } from './context';
import { checkConnections } from './checks/connections';
import { checkCredentials } from './checks/credentials';
import { checkExpressions } from './checks/expressions';
import { checkNodeTypes } from './checks/node-types';
import { checkParameters } from './checks/parameters';
import { checkPathClashes, collectPaths, type PathUse } from './checks/paths';
import { checkReachability } from './checks/reachability';
import { checkReferences } from './checks/references';
import { checkStructure } from './checks/structure';
import { checkWidipParameters } from './checks/widip-parameters';
import { expandPaths, readWorkflowFile } from './files';
import { NodeTypeRegistry } from './node-types/registry';
import type { Finding, LoadedWorkflow, ValidateOptions, ValidateResult } from './types';

const CHECKS: Array<[string, (context: WorkflowContext, names: ReadonlySet<string>) => void]> = [
	['structure', checkStructure],
	['node type', checkNodeTypes],
	['parameter', checkParameters],
	['catalogue', checkWidipParameters],
	['credential', checkCredentials],
	['connection', checkConnections],
	['reachability', checkReachability],
	['expression', checkExpressions],
	['reference', checkReferences],
];

/** Loading n8n's node classes is the cost of a run: one registry per n8n location, kept. */
const registries = new Map<string, NodeTypeRegistry>();

function registryFor(options: ValidateOptions, cwd: string): NodeTypeRegistry {
	const env = options.env ?? process.env;
	const key = JSON.stringify([options.n8nDir ?? env.WIDIP_N8N_DIR ?? '', cwd]);
	let registry = registries.get(key);
	if (!registry) {
		registry = new NodeTypeRegistry({ n8nDir: options.n8nDir, env, cwd });
		registries.set(key, registry);
	}
	return registry;
}

/**
 * One message per fault: an unknown operation is said in the catalogue's words (not n8n's "not an
 * option", nor every field it no longer shows); a field n8n already faults is not faulted again by
 * the catalogue schema.
 */
function withoutDuplicates(findings: Finding[]): Finding[] {
	const seen = new Set<string>();
	const at = (finding: Finding) => `${finding.file}\0${finding.node}\0${finding.field}`;
	const unknownOperation = findings.filter((finding) => finding.message.startsWith('Unknown operation'));
	const unknownOperationAt = new Set(unknownOperation.map(at));
	const unknownOperationNodes = new Set(unknownOperation.map((finding) => `${finding.file}\0${finding.node}`));
	const n8nFaulted = new Set(findings.filter((finding) => finding.severity === 'error' && !finding.message.startsWith('Invalid input for')).map(at));
	return findings.filter((finding) => {
		const where = at(finding);
		if (unknownOperationAt.has(where) && finding.message.includes('is not an option of')) return false;
		if (unknownOperationNodes.has(`${finding.file}\0${finding.node}`) && finding.message.includes('is not used with these settings')) return false;
		if (finding.message.startsWith('Invalid input for') && n8nFaulted.has(where)) return false;
		const key = `${where}\0${finding.message}`;
		if (seen.has(key)) return false;
		seen.add(key);
		return true;
	});
}

/**
 * Validates workflows already read (deploy passes what it is about to send). Paths served by
 * webhook, form and MCP triggers, and sub-workflow names, are checked across all of them.
 */
export function validateWorkflowObjects(workflows: readonly LoadedWorkflow[], options: ValidateOptions = {}): ValidateResult {
	const cwd = options.cwd ?? process.cwd();
	const registry = registryFor(options, cwd);
	const findings: Finding[] = [];
	const notes = new Set<string>();
	const names = new Set(workflows.map(({ workflow }) => workflow.name).filter((name): name is string => typeof name === 'string'));
	const paths: PathUse[] = [];
	for (const { file, workflow } of workflows) {
		let context: WorkflowContext;
		try {
			context = new WorkflowContext(file, workflow, registry, findings, notes);
		} catch (error) {
			findings.push({ file, node: '-', field: '-', message: `n8n cannot load this workflow: ${(error as Error).message}`, severity: 'error' });
			continue;
		}
		for (const [name, check] of CHECKS) {
			try {
				check(context, names);
			} catch (error) {
				context.report('-', '-', `the ${name} check failed on this workflow: ${(error as Error).message}`);
			}
		}
		paths.push(...collectPaths(context));
	}
	findings.push(...checkPathClashes(paths));
	const order = [...new Set(workflows.map(({ file }) => file))];
	findings.sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file));
	return { files: order, findings: withoutDuplicates(findings), notes: [...notes] };
}

/**
 * Validates workflow files and folders (every *.json below, recursively). Throws
 * WorkflowInputError for a path that is missing, unreadable or not JSON; a JSON file that is no
 * workflow is a finding.
 */
export async function validateWorkflows(paths: readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
	const cwd = options.cwd ?? process.cwd();
	const files = await expandPaths(paths, cwd);
	const workflows: LoadedWorkflow[] = [];
	const unusable: Finding[] = [];
	const env = options.env ?? process.env;
	for (const file of files) {
		const read = await readWorkflowFile(file, cwd);
		if ('notWorkflow' in read) {
			unusable.push({ file, node: '-', field: '-', message: read.notWorkflow, severity: 'error' });
			continue;
		}
		for (const loaded of read) {
			// What deploy would send: deploy variables filled in from this environment (or their defaults).
			// An unset variable stays as written: its fields are skipped rather than checked as ''.
			const filled = substituteVariables(loaded.workflow.nodes, env, { keepUnset: true });
			for (const name of filled.missing) {
				unusable.push({ file, node: '-', field: '-', message: `deploy variable ${name} is not set (and has no default): its fields are not checked here, and widip deploy refuses until it is set`, severity: 'warning' });
			}
			workflows.push({ ...loaded, workflow: { ...loaded.workflow, nodes: filled.value } });
		}
	}
	const result = validateWorkflowObjects(workflows, options);
	const findings = [...unusable, ...result.findings].sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
	return { files, findings, notes: result.notes };
}
