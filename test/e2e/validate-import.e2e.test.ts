import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { validateWorkflowObjects, validateWorkflows, type LoadedWorkflow, type WorkflowJson } from '../../runtime/validate';
import { N8nHarness } from './harness';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const GIVEN = ['workflows', 'test/e2e/workflows', 'test/validate/valid'];

/**
 * What `widip validate` accepts, a real n8n 2.41.1 (with our packed package installed) imports:
 * every workflow of the repository that validates without an error, and the valid corpus-style
 * workflows (sub-workflow by name, an agent with WIDIP tools, an MCP trigger serving them, incident
 * routes). n8n's export of what it stored then validates the same way.
 */
describe('validated workflows import into real n8n', () => {
	let harness: N8nHarness;
	let accepted: LoadedWorkflow[];
	let given = 0;

	beforeAll(async () => {
		harness = await N8nHarness.create();
		const result = await validateWorkflows(GIVEN, { n8nDir: harness.n8nDir, cwd: ROOT, env: {} });
		const rejected = new Set(result.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.file));
		given = result.files.length;
		accepted = result.files
			.filter((file) => !rejected.has(file))
			.map((file) => ({ file, workflow: JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as WorkflowJson }));
		// `n8n import:workflow` needs an id (validate warns); the editor's import and deploy assign one.
		for (const { workflow } of accepted) workflow.id ??= `widipImp${String(accepted.findIndex((entry) => entry.workflow === workflow)).padStart(8, '0')}`;
	}, 40 * 60_000);

	afterAll(() => harness?.dispose());

	it('accepts all but the AD e2e template (its placeholders are filled in by its test)', () => {
		expect(accepted.map(({ file }) => path.basename(file)).sort()).not.toContain('ad-check-reset.json');
		expect(given).toBeGreaterThanOrEqual(30);
		expect(accepted).toHaveLength(given - 1);
	});

	it('imports each accepted workflow, and what n8n stored validates again', async () => {
		await harness.importWorkflows(accepted.map(({ workflow }) => workflow)).catch((error: { message: string; stdout?: string; stderr?: string }) => {
			throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
		});
		const exported = path.join(harness.userFolder, 'exported.json');
		await run(path.join(harness.n8nDir, 'node_modules/.bin/n8n'), ['export:workflow', '--all', `--output=${exported}`], {
			env: harness.env(),
			timeout: 120_000,
		});
		const stored = JSON.parse(readFileSync(exported, 'utf8')) as WorkflowJson[];
		for (const { workflow } of accepted) {
			const match = stored.find((candidate) => candidate.name === workflow.name);
			expect({ name: workflow.name, nodes: match?.nodes.map((node) => `${node.type}@${node.typeVersion}:${node.name}`) }).toEqual({
				name: workflow.name,
				nodes: workflow.nodes.map((node) => `${node.type}@${node.typeVersion}:${node.name}`),
			});
		}
		expect(stored).toHaveLength(accepted.length);
		const again = validateWorkflowObjects(
			stored.map((workflow) => ({ file: 'n8n-export.json', workflow })),
			{ n8nDir: harness.n8nDir, cwd: ROOT, env: {} },
		);
		expect(again.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
	}, 10 * 60_000);
});
