import { validateWorkflows, type ValidateResult } from '../../runtime/validate';
import { errors, line, n8nDir, ROOT, TEMPLATE_ERRORS } from './support';

const OURS = ['workflows', 'test/e2e/workflows'];

/** The repository's own workflow JSON passes: what CI runs with `widip validate workflows/`. */
describe("widip validate on the repository's workflows", () => {
	let withN8n: ValidateResult;
	let tookMs: number;

	beforeAll(async () => {
		const started = Date.now();
		withN8n = await validateWorkflows(OURS, { n8nDir: n8nDir(), cwd: ROOT, env: {} });
		tookMs = Date.now() - started;
	}, 10 * 60_000);

	it('finds no error but the e2e template placeholders, and checks every node type', () => {
		expect(withN8n.files.length).toBeGreaterThanOrEqual(21);
		expect(errors(withN8n.findings).map(line)).toEqual(TEMPLATE_ERRORS);
		expect(withN8n.notes).toEqual([]);
	});

	it('warns only about credential ids (deploy resolves credentials by name) and the example without a workflow id', () => {
		const warnings = withN8n.findings.filter((finding) => finding.severity === 'warning');
		const credentialIds = warnings.filter((warning) => /^credential id ".+" belongs to one n8n instance/.test(warning.message));
		expect(credentialIds.length).toBeGreaterThan(0);
		expect(warnings.filter((warning) => !credentialIds.includes(warning)).map(line)).toEqual([
			'llm-mutex-pattern.json:-:id: workflow without an id: `n8n import:workflow` refuses it (the editor and deploy assign one)',
		]);
	});

	it('takes seconds, loading only the n8n node types the workflows use', () => {
		// Generous for CI's shared cores; a run here takes ~5 s, most of it requiring n8n's node classes.
		expect(tookMs).toBeLessThan(60_000);
	});

	it("without n8n's packages: notes each n8n type it cannot check, and invents no error", async () => {
		const alone = await validateWorkflows(OURS, { cwd: ROOT, env: {} });
		expect(errors(alone.findings).map(line)).toEqual(TEMPLATE_ERRORS);
		expect(alone.notes).toContain("cannot check n8n-nodes-base.manualTrigger: n8n's node packages not found (use --n8n <dir>)");
		expect(alone.notes).toContain("cannot check @n8n/n8n-nodes-langchain.agent: n8n's node packages not found (use --n8n <dir>)");
		expect(alone.notes.every((note) => note.includes("n8n's node packages not found (use --n8n <dir>)"))).toBe(true);
	});

	it('finds n8n through WIDIP_N8N_DIR as through --n8n', async () => {
		const fromEnv = await validateWorkflows(OURS, { cwd: ROOT, env: { WIDIP_N8N_DIR: n8nDir() } });
		expect(fromEnv.notes).toEqual([]);
		expect(fromEnv.findings).toEqual(withN8n.findings);
	});
});
