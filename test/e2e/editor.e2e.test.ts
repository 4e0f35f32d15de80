/**
 * The editor as a technician meets our nodes: a real n8n 2.41.1 with the packed package, the node
 * types exactly as the editor receives them (GET /types/nodes.json, behind the owner's login), and
 * the editor itself in headless Chromium: the nodes panel searched for "WIDIP", the canvas
 * subtitles, the GLPI Create Ticket panel, the Safeguard Gate panel, the AI Agent's tool list and
 * a tool's Safeguard fields. Screenshots land in test-results/editor/ (gitignored) for people to
 * look at; every step also asserts what the panel says.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { INodeTypeDescription } from 'n8n-workflow';
import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';

import { catalogue } from '../../core/catalogue';
import { OPTIONAL_SAFEGUARD_LABEL } from '../../nodes/shared/safeguard-connection';
import { TOOL_APPROVAL_ID, TOOL_CONFIDENCE, TOOL_REASON } from '../../nodes/shared/tool-safeguard';
import packageJson from '../../package.json';
import {
	allProperties,
	duplicateCredentialLabels,
	evaluateSubtitle,
	fieldFor,
	longTextInputs,
	operationChoices,
	optionLabels,
	rawIdProblem,
	type N8nWorkflowModule,
} from '../support/editor-text';
import { N8nHarness } from './harness';

// n8n start (~15 s), Chromium and a dozen page loads: well under the 3 minutes this file may take.
jest.setTimeout(180_000);

const PACKAGE = packageJson.name;
const SCREENSHOTS = path.join(__dirname, '..', '..', 'test-results', 'editor');
// The machine has no network: keep Chromium from trying to reach Google services.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OWNER = { email: 'editor@widip.test', firstName: 'Tech', lastName: 'Nicien', password: 'E2e-Editor-Passw0rd' };

/** The workflow a technician would have built: a GLPI node, a Gate, and an agent with two WIDIP tools. */
const WORKFLOW = {
	name: 'Editor: what a technician reads',
	nodes: [
		{ id: 'e1', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
		{ id: 'e2', name: 'GLPI', type: `${PACKAGE}.glpi`, typeVersion: 1, position: [250, 0], parameters: { resource: 'ticket', operation: 'glpi.create_ticket' } },
		// Dropped as is: the Gate's own defaults.
		{ id: 'e3', name: 'Safeguard Gate', type: `${PACKAGE}.safeguardGate`, typeVersion: 1, position: [500, 0], parameters: {} },
		{ id: 'e4', name: 'LLM Mutex', type: `${PACKAGE}.llmMutex`, typeVersion: 1, position: [750, 0], parameters: {} },
		{ id: 'e5', name: 'MySecret', type: `${PACKAGE}.mySecret`, typeVersion: 1, position: [1000, 0], parameters: {} },
		{ id: 'e6', name: 'AI Agent', type: '@n8n/n8n-nodes-langchain.agent', typeVersion: 3.1, position: [250, 300], parameters: { promptType: 'define', text: 'Ticket 4812: mot de passe oublié', options: {} } },
		{ id: 'e7', name: 'GLPI Tool', type: `${PACKAGE}.glpiTool`, typeVersion: 1, position: [300, 520], parameters: { resource: 'ticket', operation: 'glpi.add_followup' } },
		{ id: 'e8', name: 'Active Directory Tool', type: `${PACKAGE}.activeDirectoryTool`, typeVersion: 1, position: [500, 520], parameters: { resource: 'user', operation: 'ad.reset_password' } },
	],
	connections: {
		Start: { main: [[{ node: 'GLPI', type: 'main', index: 0 }]] },
		GLPI: { main: [[{ node: 'Safeguard Gate', type: 'main', index: 0 }]] },
		'GLPI Tool': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
		'Active Directory Tool': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
	},
	settings: { executionOrder: 'v1' },
};

/** What the browser-side code below touches of the DOM (this project compiles without the DOM types). */
interface DomNode {
	parentElement: DomNode | null;
	textContent: string | null;
	querySelector(selector: string): (DomNode & { getAttribute(name: string): string | null }) | null;
}

describe('the n8n editor as a technician reads our nodes (real n8n 2.41.1, headless Chromium)', () => {
	let harness: N8nHarness;
	let cookie = '';
	let types: INodeTypeDescription[] = [];
	let workflowId = '';
	// The Gate test changes its operation, and n8n then holds that workflow for the tab that edited
	// it ("Editing in another tab"): it gets a copy of its own.
	let gateWorkflowId = '';
	let context: BrowserContext;
	let userDataDir = '';
	const pageErrors: string[] = [];

	async function rest<T>(method: string, route: string, body?: unknown): Promise<T> {
		const answer = await fetch(`${harness.baseUrl}${route}`, {
			method,
			headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) },
			body: body ? JSON.stringify(body) : undefined,
		});
		if (!answer.ok) throw new Error(`${method} ${route}: ${answer.status} ${await answer.text()}`);
		return (await answer.json()) as T;
	}

	function type(name: string): INodeTypeDescription {
		const found = types.find((candidate) => candidate.name === `${PACKAGE}.${name}`);
		if (!found) throw new Error(`n8n does not list ${PACKAGE}.${name}`);
		return found;
	}

	/** The workflow open in a new tab, its canvas drawn. */
	async function openWorkflow(id = workflowId): Promise<Page> {
		const page = await context.newPage();
		page.on('pageerror', (error) => pageErrors.push(error.message));
		await page.goto(`${harness.baseUrl}/workflow/${id}`);
		await page.locator('[data-test-id="canvas-node"][data-node-name="GLPI"]').waitFor();
		return page;
	}

	/** Opens a node's panel by double-clicking it on the canvas; returns the parameters column. */
	async function openNode(page: Page, name: string) {
		await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).dblclick();
		const parameters = page.getByTestId('node-parameters');
		await parameters.waitFor();
		return parameters;
	}

	/** The labels of the open panel's credential fields (each wraps its own "Connect to …" button). */
	async function credentialLabels(page: Page): Promise<string[]> {
		return (await page.getByTestId('credentials-label').allInnerTexts()).map((text) => text.split('\n')[0].trim());
	}

	async function shoot(page: Page, file: string): Promise<void> {
		// Transitions finished: a dropdown caught while fading in is unreadable.
		await page.screenshot({ path: path.join(SCREENSHOTS, file), animations: 'disabled' });
	}

	beforeAll(async () => {
		rmSync(SCREENSHOTS, { recursive: true, force: true });
		mkdirSync(SCREENSHOTS, { recursive: true });
		harness = await N8nHarness.create();
		await harness.start();
		const setup = await fetch(`${harness.baseUrl}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		if (!setup.ok) throw new Error(`owner set-up failed: ${setup.status} ${await setup.text()}`);
		cookie = (setup.headers.getSetCookie?.() ?? []).map((line) => line.split(';')[0]).join('; ');
		// What the editor loads at start: every node type, AI-tool variants included, full descriptions.
		const all = await rest<INodeTypeDescription[]>('GET', '/types/nodes.json');
		types = all.filter((candidate) => candidate.name.startsWith(`${PACKAGE}.`));
		workflowId = (await rest<{ data: { id: string } }>('POST', '/rest/workflows', WORKFLOW)).data.id;
		gateWorkflowId = (await rest<{ data: { id: string } }>('POST', '/rest/workflows', { ...WORKFLOW, name: `${WORKFLOW.name} (Gate)` })).data.id;
		userDataDir = await mkdtemp(path.join(tmpdir(), 'ed15-chromium-'));
		selectors.setTestIdAttribute('data-test-id');
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath: '/usr/bin/chromium',
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1440, height: 900 },
		});
		context.setDefaultTimeout(20_000);
		const [name] = cookie.split('=');
		await context.addCookies([{ name, value: cookie.slice(name.length + 1), url: harness.baseUrl }]);
	});

	afterAll(async () => {
		await context?.close();
		if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
		await harness?.stop();
		harness?.dispose();
	});

	it('node types as the editor receives them: credential fields told apart, subtitles and options in words, long texts multi-line', () => {
		const declared = packageJson.n8n.nodes.map((file) => path.basename(file, '.node.js'));
		expect(types.length).toBeGreaterThanOrEqual(declared.length);
		// The Safeguard Gate waits for a person: no tool variant; every other node has one.
		expect(types.some((candidate) => candidate.name === `${PACKAGE}.safeguardGateTool`)).toBe(false);
		// n8n's own n8n-workflow, from its install folder: subtitles evaluated exactly as this n8n does.
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
		const n8n = require(path.join(harness.n8nDir, 'node_modules', 'n8n-workflow')) as N8nWorkflowModule;
		for (const description of types) {
			const where = description.name;
			// Two credential fields with one label would read alike: each says what it is for.
			expect([where, duplicateCredentialLabels(description)]).toEqual([where, []]);
			for (const credential of description.credentials ?? []) expect([where, credential.name, credential.displayName]).toEqual([where, credential.name, expect.any(String)]);
			const optional = (description.credentials ?? []).find((credential) => credential.name === 'widipSafeguardApi' && !credential.required);
			if (optional) expect([where, optional.displayName]).toEqual([where, OPTIONAL_SAFEGUARD_LABEL]);
			// The canvas subtitle of every operation, evaluated by n8n's own n8n-workflow as the editor does.
			const field = description.name.endsWith('.safeguardGate') ? 'operationId' : 'operation';
			for (const { operationId, set } of operationChoices(description, field)) {
				const subtitle = String(evaluateSubtitle(n8n, description, set));
				expect([where, operationId, subtitle, rawIdProblem(subtitle)]).toEqual([where, operationId, subtitle, undefined]);
				expect(subtitle).toContain(catalogue.get(operationId).displayName);
			}
			for (const { field: label, label: option } of optionLabels(description)) expect([where, label, option, rawIdProblem(option)]).toEqual([where, label, option, undefined]);
		}
		// Every long free text of the catalogue is a multi-line box wherever it shows, tool variants included.
		const long = longTextInputs();
		expect(long.length).toBeGreaterThanOrEqual(6);
		for (const { operationId, field } of long) {
			const showing = types.filter((description) => fieldFor(description, operationId, field));
			expect([operationId, field, showing.length]).toEqual([operationId, field, 2]);
			for (const description of showing) {
				expect([description.name, field, (fieldFor(description, operationId, field)!.typeOptions?.rows ?? 0) >= 2]).toEqual([description.name, field, true]);
			}
		}
		// As tools, the three $fromAI fields say what they are.
		const guarded = types.filter((candidate) => candidate.name.endsWith('Tool') && operationChoices(candidate).some(({ operationId }) => catalogue.get(operationId).level > 0));
		expect(guarded.length).toBeGreaterThanOrEqual(8);
		for (const description of guarded) {
			const fields = allProperties(description.properties).filter((property) => [TOOL_APPROVAL_ID, TOOL_CONFIDENCE, TOOL_REASON].includes(property.name));
			expect([description.name, fields.length]).toEqual([description.name, 3]);
			for (const property of fields) {
				expect([description.name, property.name, property.description]).toEqual([description.name, property.name, expect.stringMatching(/^The agent fills this in at each call/)]);
			}
		}
		// The Gate's default is a read, never an action.
		const gateOperation = type('safeguardGate').properties.find((property) => property.name === 'operationId')!;
		expect(catalogue.get(String(gateOperation.default)).level).toBe(0);
	});

	it('the nodes panel: searching WIDIP lists every node and tool, each node with its own icon', async () => {
		const page = await openWorkflow();
		await page.getByTestId('node-creator-plus-button').click();
		// fill(), not keyboard typing: n8n focuses the search box a moment after it shows, and keys typed
		// before that are lost (seen once in CI: the tools panel never filtered).
		await page.getByTestId('node-creator-search-bar').fill('WIDIP');
		const panel = page.getByTestId('node-creator');
		await panel.getByText('WIDIP Active Directory Tool').waitFor();
		await shoot(page, '1-nodes-panel.png');
		const names = await panel.getByTestId('node-creator-item-name').allInnerTexts();
		// "What happens next?" lists actions: a trigger only shows where a workflow starts.
		for (const description of types.filter((candidate) => !candidate.group.includes('trigger'))) expect(names).toContain(description.displayName);
		// One icon per node (a tool shares its node's): MySecret and LLM Mutex no longer share a padlock.
		const shown = await panel.evaluate((root) => {
			const pairs: Array<[string, string]> = [];
			root.querySelectorAll('[data-test-id="node-creator-item-name"]').forEach((name: DomNode) => {
				let item = name.parentElement;
				while (item && !item.querySelector('img')) item = item.parentElement;
				pairs.push([name.textContent?.trim() ?? '', item?.querySelector('img')?.getAttribute('src') ?? '']);
			});
			return pairs;
		});
		// A tool or a trigger wears its service's icon, as n8n's own nodes do.
		const icons = new Map(shown.filter(([name, src]) => name.startsWith('WIDIP') && !name.endsWith(' Tool') && !name.endsWith(' Trigger') && src));
		expect([...icons.keys()].sort()).toEqual(
			types.filter((description) => !description.name.endsWith('Tool') && !description.group.includes('trigger')).map((description) => description.displayName).sort(),
		);
		expect(new Set(icons.values()).size).toBe(icons.size);
		for (const src of icons.values()) {
			const answer = await fetch(new URL(src, harness.baseUrl), { headers: { cookie } });
			expect([src, answer.status, (await answer.text()).startsWith('<svg')]).toEqual([src, 200, true]);
		}
		await page.close();
	});

	it('the canvas: subtitles say the operation in words', async () => {
		const page = await openWorkflow();
		await shoot(page, '2-canvas.png');
		const subtitle = async (name: string) => (await page.locator(`[data-test-id="canvas-node"][data-node-name="${name}"]`).innerText()).replace(/\s+/g, ' ');
		expect(await subtitle('GLPI')).toContain('Create Ticket');
		expect(await subtitle('Safeguard Gate')).toContain('GLPI · Search Client (L0)');
		expect(await subtitle('LLM Mutex')).toContain('Acquire Lock');
		expect(await subtitle('MySecret')).toContain('Create Secret Link');
		expect(await subtitle('GLPI Tool')).toContain('Add Followup');
		expect(await subtitle('Active Directory Tool')).toContain('Reset Password');
		const canvas = await page.locator('.vue-flow').innerText();
		expect(rawIdProblem(canvas)).toBeUndefined();
		await page.close();
	});

	it('GLPI Create Ticket: two credential fields that say what they are, a multi-line content box', async () => {
		const page = await openWorkflow();
		const parameters = await openNode(page, 'GLPI');
		await parameters.getByTestId('parameter-input-content').waitFor();
		await shoot(page, '3-glpi-create-ticket.png');
		expect(await credentialLabels(page)).toEqual(['Credential for GLPI', OPTIONAL_SAFEGUARD_LABEL]);
		expect(await parameters.getByTestId('parameter-input-content').locator('textarea').count()).toBe(1);
		expect(await parameters.getByTestId('parameter-input-title').locator('textarea').count()).toBe(0);
		expect(await parameters.getByTestId('parameter-input-operation').locator('input').inputValue()).toBe('Create Ticket');
		expect(rawIdProblem(await parameters.innerText())).toBeUndefined();
		await page.close();
	});

	it('the Safeguard Gate: operations in words by service, levels explained, the chosen operation\'s keys shown', async () => {
		const page = await openWorkflow(gateWorkflowId);
		const parameters = await openNode(page, 'Safeguard Gate');
		await shoot(page, '4-safeguard-gate.png');
		const text = await parameters.innerText();
		expect(await credentialLabels(page)).toEqual(['Credential for Safeguard']);
		expect(text).toContain('Safeguard levels, as the Gate applies them');
		for (const label of ['L0 read-only', 'L1 minor', 'L2 moderate', 'L3 sensitive', 'L4 forbidden']) expect(text).toContain(label);
		expect(text).toContain('Search Client (glpi.search_client) takes these keys in Arguments');
		expect(text).toContain('value (text, required)');
		expect(text).toContain('A JSON object with the keys listed above for the chosen operation');
		// The dropdown: every operation in words, grouped by service.
		await parameters.getByTestId('parameter-input-operationId').click();
		const options = page.locator('.el-select-dropdown__item:visible');
		await options.first().waitFor();
		await shoot(page, '5-safeguard-gate-operations.png');
		const names = (await options.allInnerTexts()).map((name) => name.split('\n')[0].trim());
		expect(names).toContain('GLPI · Create Ticket (L1 minor)');
		expect(names).toContain('Active Directory · Reset Password (L3 sensitive)');
		for (const name of names) expect([name, rawIdProblem(name)]).toEqual([name, undefined]);
		// Choosing another operation shows its keys instead.
		await options.filter({ hasText: 'GLPI · Close Ticket (L3 sensitive)' }).click();
		await parameters.getByText('Close Ticket (glpi.close_ticket) takes these keys in Arguments').waitFor();
		expect(await parameters.innerText()).toContain('solution (text, required)');
		await shoot(page, '6-safeguard-gate-close-ticket.png');
		await page.close();
	});

	it("the AI Agent's tool list offers every WIDIP tool but the Gate, and a tool explains its Safeguard fields", async () => {
		const page = await openWorkflow();
		// The "+" under the agent's Tool input.
		await page.locator('[data-handleid="inputs/ai_tool/0"] [data-test-id="canvas-handle-plus"]').click();
		// fill(), not keyboard typing: n8n focuses the search box a moment after it shows, and keys typed
		// before that are lost (seen once in CI: the tools panel never filtered).
		await page.getByTestId('node-creator-search-bar').fill('WIDIP');
		const panel = page.getByTestId('node-creator');
		await panel.getByText('WIDIP GLPI Tool').waitFor();
		await shoot(page, '7-agent-tools.png');
		const names = await panel.getByTestId('node-creator-item-name').allInnerTexts();
		// Every node usable as a tool is offered, as "<node> Tool".
		const usable = types.filter((description) => description.usableAsTool && !description.name.endsWith('Tool'));
		expect(usable.length).toBeGreaterThanOrEqual(10);
		for (const description of usable) expect(names).toContain(`${description.displayName} Tool`);
		expect(names.join('\n')).not.toContain('Safeguard Gate');
		await page.keyboard.press('Escape');
		await page.close();

		const toolPage = await openWorkflow();
		const parameters = await openNode(toolPage, 'Active Directory Tool');
		await parameters.getByTestId('parameter-input-safeguardReason').scrollIntoViewIfNeeded();
		const text = await parameters.innerText();
		expect(text).toContain("As an AI tool, Reset Password is Safeguard L3 sensitive: waits for a technician's approval.");
		expect(text).toContain('The agent fills in the three Safeguard fields below at each call ($fromAI): keep their expressions.');
		for (const label of ['Safeguard Approval ID', 'Safeguard Confidence', 'Safeguard Reason']) expect(text).toContain(label);
		// Each field's tooltip says who fills it in and what for.
		const confidence = parameters.locator('[data-test-id="parameter-item"]').filter({ has: toolPage.getByTestId('parameter-input-safeguardConfidence') }).first();
		await confidence.getByTestId('input-label').hover();
		await confidence.locator('[data-icon="circle-help"]').hover();
		await toolPage.getByText('The agent fills this in at each call ($fromAI): how sure it is, 0 to 100').waitFor();
		await shoot(toolPage, '8-tool-safeguard-fields.png');
		expect(await credentialLabels(toolPage)).toEqual(['Credential for Active Directory', 'MySecret (for Password Links)', OPTIONAL_SAFEGUARD_LABEL]);
		await toolPage.close();
	});

	afterAll(() => {
		// A script error in the editor while our nodes were on screen would be a broken panel.
		expect(pageErrors).toEqual([]);
	});
});
