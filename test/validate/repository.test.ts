import { validateWorkflows, type ValidateResult } from '../../runtime/validate';
import { errors, line, n8nDir, ROOT, TEMPLATE_ERRORS } from './support';

const OURS = ['workflows', 'test/e2e/workflows'];
/** The deploy variables an installation sets (README, "The three flows"): validate checks what deploy would send. */
/**
 * Under jest only, n8n's Wait node cannot be loaded (one of its dependencies is an ES module, which
 * jest's require cannot load); `widip validate` itself (node) checks it.
 */
const JEST_ONLY_NOTES = [expect.stringMatching(/^cannot check n8n-nodes-base\.wait: loading its node class failed: Must use import to load ES Module/)];
const FLOW_ENV = { WIDIP_FLOW_RUNTIME_URL: 'http://widip:8080', WIDIP_FLOW_ONCALL_EMAIL: 'astreinte@widip.fr', WIDIP_FLOW_SUPERVISOR_EMAIL: 'superviseur@widip.fr' };

/** The repository's own workflow JSON passes: what CI runs with `widip validate workflows/`. */
describe("widip validate on the repository's workflows", () => {
	let withN8n: ValidateResult;
	let tookMs: number;

	beforeAll(async () => {
		const started = Date.now();
		withN8n = await validateWorkflows(OURS, { n8nDir: n8nDir(), cwd: ROOT, env: FLOW_ENV });
		tookMs = Date.now() - started;
	}, 10 * 60_000);

	it('finds no error but the e2e template placeholders, and checks every node type', () => {
		expect(withN8n.files.length).toBeGreaterThanOrEqual(21);
		expect(errors(withN8n.findings).map(line)).toEqual(TEMPLATE_ERRORS);
		expect(withN8n.notes).toEqual(JEST_ONLY_NOTES);
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
		const alone = await validateWorkflows(OURS, { cwd: ROOT, env: FLOW_ENV });
		expect(errors(alone.findings).map(line)).toEqual(TEMPLATE_ERRORS);
		expect(alone.notes).toContain("cannot check n8n-nodes-base.manualTrigger: n8n's node packages not found (use --n8n <dir>)");
		expect(alone.notes).toContain("cannot check @n8n/n8n-nodes-langchain.agent: n8n's node packages not found (use --n8n <dir>)");
		expect(alone.notes.every((note) => note.includes("n8n's node packages not found (use --n8n <dir>)"))).toBe(true);
	});

	it('finds n8n through WIDIP_N8N_DIR as through --n8n', async () => {
		const fromEnv = await validateWorkflows(OURS, { cwd: ROOT, env: { ...FLOW_ENV, WIDIP_N8N_DIR: n8nDir() } });
		expect(fromEnv.notes).toEqual(JEST_ONLY_NOTES);
		expect(fromEnv.findings).toEqual(withN8n.findings);
	});

	it('without the deploy variables: a warning per variable a file needs, its fields left unchecked, no error', async () => {
		const bare = await validateWorkflows(['workflows'], { n8nDir: n8nDir(), cwd: ROOT, env: {} });
		expect(errors(bare.findings)).toEqual([]);
		const unset = bare.findings.filter((finding) => /^deploy variable WIDIP_FLOW_[A-Z_]+ is not set/.test(finding.message));
		expect(new Set(unset.map((finding) => /WIDIP_FLOW_[A-Z_]+/.exec(finding.message)![0]))).toEqual(new Set(Object.keys(FLOW_ENV)));
		// A bad value given for a variable is found like any other.
		const wrong = await validateWorkflows(['workflows/proactif-ticket.json'], { n8nDir: n8nDir(), cwd: ROOT, env: { ...FLOW_ENV, WIDIP_FLOW_ONCALL_EMAIL: 'not-an-address' } });
		expect(errors(wrong.findings).map(line)).toEqual([expect.stringMatching(/proactif-ticket\.json:Mail: On-Call:parameters\.to: Invalid input for mail\.send_template_mail: to: not an e-mail address: not-an-address/)]);
	});
});
