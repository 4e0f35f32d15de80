import { DeployHistory, type DeployedEntry } from './history';
import { DeployError, N8nApi, type N8nWorkflow, type WorkflowBody } from './n8n-api';
import { apiBody, deployOrder, unpublishedCallees, describeDifference, desiredBody, difference, isSame, readWorkflowFiles, webhookConflicts, type Resolution } from './plan';

export interface DeployOptions {
	url: string;
	apiKey: string;
	paths: readonly string[];
	dryRun?: boolean;
	stateDir: string;
	/** Progress lines as the deploy goes (a terminal shows them; --json does not). */
	progress?: (line: string) => void;
	/** Runs before anything is read from n8n: returns blocking findings (`file:node:field: message`). */
	validate?: (paths: readonly string[]) => Promise<string[]>;
	/** Where `${WIDIP_FLOW_*}` deploy variables come from (see variables.ts); none by default. */
	variables?: NodeJS.ProcessEnv;
}

export interface WorkflowOutcome {
	name: string;
	file: string;
	id: string | null;
	action: 'created' | 'updated' | 'published' | 'unchanged' | 'would create' | 'would update' | 'would publish';
	changes: string[];
	published: boolean;
}

export interface DeployReport {
	n8n: string;
	dryRun: boolean;
	workflows: WorkflowOutcome[];
	tookMs: number;
}

/**
 * Validate, then resolve everything (workflows by name, credentials by name and type, sub-workflow
 * names), report every problem at once and write nothing if there is one; then create or update
 * each workflow whose content differs, publish it, and record what it was for --rollback.
 */
export async function deploy(options: DeployOptions): Promise<DeployReport> {
	const started = Date.now();
	const progress = options.progress ?? (() => undefined);
	const findings = (await options.validate?.(options.paths)) ?? [];
	if (findings.length > 0) throw new DeployError(`widip validate found ${findings.length} problem(s); nothing was deployed:\n${findings.join('\n')}`, 1);
	const files = deployOrder(await readWorkflowFiles(options.paths, options.variables));
	const api = new N8nApi(options.url, options.apiKey);
	progress(`n8n ${api.origin}: reading workflows and credentials`);
	const [existing, credentials] = await Promise.all([api.workflows(), api.credentials()]);

	const workflowIds = new Map<string, string>();
	const problems: string[] = [];
	for (const workflow of existing) {
		const twin = workflowIds.get(workflow.name);
		if (twin && files.some((file) => file.name === workflow.name)) {
			problems.push(`n8n holds two workflows named "${workflow.name}" (ids ${twin}, ${workflow.id}): archive or rename one, deploy will not guess`);
		}
		workflowIds.set(workflow.name, workflow.id);
	}
	// Preflight: workflows this deploy will create count as resolvable sub-workflows.
	const planned: Resolution = { workflowIds: new Map([...files.map((file) => [file.name, workflowIds.get(file.name) ?? 'new'] as const), ...workflowIds]), credentials };
	for (const file of files) desiredBody(file, planned, problems);
	problems.push(...webhookConflicts(files, existing));
	problems.push(...unpublishedCallees(files));
	if (problems.length > 0) throw new DeployError(`${problems.length} problem(s); nothing was written to n8n:\n${problems.join('\n')}`, 1);

	const outcomes: WorkflowOutcome[] = [];
	const entries: DeployedEntry[] = [];
	const history = new DeployHistory(options.stateDir, api.origin);
	try {
		for (const [index, file] of files.entries()) {
			const body = desiredBody(file, { workflowIds, credentials }, []);
			const id = workflowIds.get(file.name);
			const current: N8nWorkflow | undefined = id ? await api.workflow(id) : undefined;
			const outcome = await apply(api, file.publish, body, current, options.dryRun === true, entries);
			if (outcome.id) workflowIds.set(file.name, outcome.id);
			outcomes.push({ ...outcome, name: file.name, file: file.file });
			progress(`[${index + 1}/${files.length}] ${file.name}: ${outcome.action}${outcome.changes.length > 0 ? ` (${outcome.changes.length} change${outcome.changes.length > 1 ? 's' : ''})` : ''}`);
		}
	} finally {
		// Whatever was written before a failure is recorded, so --rollback can undo a half deploy too.
		if (!options.dryRun && entries.some((entry) => entry.action !== 'unchanged')) history.append({ at: new Date().toISOString(), n8n: api.origin, entries });
	}
	return { n8n: api.origin, dryRun: options.dryRun === true, workflows: outcomes, tookMs: Date.now() - started };
}

async function apply(
	api: N8nApi,
	publish: boolean,
	body: WorkflowBody,
	current: N8nWorkflow | undefined,
	dryRun: boolean,
	entries: DeployedEntry[],
): Promise<Omit<WorkflowOutcome, 'name' | 'file'>> {
	if (!current) {
		if (dryRun) return { id: null, action: 'would create', changes: [`+ workflow (${body.nodes.length} nodes)`], published: false };
		const created = await api.create(body);
		entries.push({ name: body.name, id: created.id, action: 'created' });
		if (publish) await api.publish(created.id);
		return { id: created.id, action: 'created', changes: [`+ workflow (${body.nodes.length} nodes)`], published: publish };
	}
	const diff = difference(body, current);
	const changes = describeDifference(diff);
	const needsPublish = publish && !current.active;
	if (isSame(diff) && !needsPublish) {
		entries.push({ name: body.name, id: current.id, action: 'unchanged' });
		return { id: current.id, action: 'unchanged', changes: [], published: current.active };
	}
	if (dryRun) return { id: current.id, action: isSame(diff) ? 'would publish' : 'would update', changes, published: current.active };
	const previous = { body: apiBody(current), active: current.active };
	if (!isSame(diff)) await api.update(current.id, body);
	entries.push({ name: body.name, id: current.id, action: isSame(diff) ? 'published' : 'updated', previous });
	// n8n 2.41's PUT changes the draft only: the running (published) version moves on publish.
	if (publish || current.active) await api.publish(current.id);
	return { id: current.id, action: isSame(diff) ? 'published' : 'updated', changes, published: publish || current.active };
}

export interface RollbackReport {
	n8n: string;
	deployedAt: string | null;
	workflows: Array<{ name: string; id: string; action: 'restored' | 'unpublished' | 'archived' }>;
}

/** Undoes the newest deploy that changed something: restores updated workflows, archives created ones. */
export async function rollback(options: Pick<DeployOptions, 'url' | 'apiKey' | 'stateDir' | 'progress'>): Promise<RollbackReport> {
	const api = new N8nApi(options.url, options.apiKey);
	const history = new DeployHistory(options.stateDir, api.origin);
	const record = history.takeLastChange();
	if (!record) return { n8n: api.origin, deployedAt: null, workflows: [] };
	const workflows: RollbackReport['workflows'] = [];
	for (const entry of [...record.entries].reverse()) {
		if (entry.action === 'created') {
			await api.unpublish(entry.id).catch(() => undefined);
			await api.archive(entry.id);
			workflows.push({ name: entry.name, id: entry.id, action: 'archived' });
		} else if (entry.previous) {
			if (entry.action === 'updated') await api.update(entry.id, entry.previous.body);
			if (entry.previous.active) await api.publish(entry.id);
			else await api.unpublish(entry.id).catch(() => undefined);
			workflows.push({ name: entry.name, id: entry.id, action: entry.action === 'updated' ? 'restored' : 'unpublished' });
		}
		options.progress?.(`${entry.name}: ${workflows.at(-1)?.action ?? 'unchanged'}`);
	}
	return { n8n: api.origin, deployedAt: record.at, workflows };
}
