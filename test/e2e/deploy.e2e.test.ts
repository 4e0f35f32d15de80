import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Coordination } from '../../core/redis/coordination';
import type { CommandIo } from '../../runtime/command-io';
import { deployCommand } from '../../runtime/deploy/command';
import { deploy, rollback, type DeployReport } from '../../runtime/deploy/deploy';
import { DeployError, N8nApi } from '../../runtime/deploy/n8n-api';
import { connectTest, dropPrefix, freePort, REDIS_HOST, REDIS_PORT } from '../support/redis';
import { N8nHarness } from './harness';

const FIXTURES = path.join(__dirname, 'deploy');

/**
 * `widip deploy` against a real n8n 2.41.1 started by the test, through its public API with an API
 * key made the way an operator makes one. Workflows: a webhook reading Redis through our Redis
 * Helper (credential by name), a sub-workflow, and a webhook calling it by name.
 */
/** Every (name, type) credential pair the shipped workflows reference. */
function shippedCredentials(): Array<{ name: string; type: string }> {
	const found = new Map<string, { name: string; type: string }>();
	const walk = (dir: string): void => {
		for (const entry of readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) walk(full);
			else if (entry.name.endsWith('.json')) {
				const workflow = JSON.parse(readFileSync(full, 'utf8')) as { nodes?: Array<{ credentials?: Record<string, { name: string }> }> };
				for (const node of workflow.nodes ?? []) for (const [type, ref] of Object.entries(node.credentials ?? {})) found.set(`${type}:${ref.name}`, { name: ref.name, type });
			}
		}
	};
	walk(path.join(__dirname, '..', '..', 'workflows'));
	return [...found.values()];
}

describe('widip deploy into a real n8n', () => {
	let harness: N8nHarness;
	let probe: Coordination;
	let apiKey: string;
	let api: N8nApi;
	let work: string;
	let stateDir: string;
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		probe = await connectTest('deploy');
		harness = await N8nHarness.create();
		await harness.importCredentials([
			// The credentials the shipped workflows/ reference, by name and type, as an installation
			// creates them (their contents do not matter to deploy; the flows' own tests use real ones).
			...shippedCredentials().map(({ name, type }, index) => ({
				id: `widipDeployShp${String(index).padStart(2, '0')}`,
				name,
				type,
				data: type === 'widipRedisApi' || type === 'widipSafeguardApi' ? { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: probe.config.keyPrefix, timeoutMs: 3000 } : {},
			})),
			{
				id: 'widipDeployRedis',
				name: 'WIDIP Redis (deploy e2e)',
				type: 'widipRedisApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: probe.config.keyPrefix, timeoutMs: 3000 },
			},
		]);
		await harness.start();
		apiKey = await harness.createApiKey();
		api = new N8nApi(harness.baseUrl, apiKey);
		await probe.cache.set('deploy_hello', 'hello v1');
		await probe.cache.set('deploy_hello_v2', 'hello v2');
		await probe.cache.set('deploy_greeting', 'greetings from the sub-workflow');
		work = mkdtempSync(path.join(tmpdir(), 'widip-deploy-'));
		stateDir = path.join(work, 'state');
		cpSync(FIXTURES, path.join(work, 'workflows'), { recursive: true });
	}, 40 * 60_000);

	afterAll(async () => {
		console.log(`widip deploy timings (ms): ${JSON.stringify(timings)}`);
		await harness?.stop();
		harness?.dispose();
		if (work) rmSync(work, { recursive: true, force: true });
		if (probe) {
			await dropPrefix(probe);
			await probe.close();
		}
	}, 60_000);

	const run = (extra: Partial<Parameters<typeof deploy>[0]> = {}) =>
		deploy({ url: harness.baseUrl, apiKey, paths: [path.join(work, 'workflows')], stateDir, ...extra });
	const byName = (report: DeployReport) => Object.fromEntries(report.workflows.map((workflow) => [workflow.name.replace('WIDIP deploy e2e: ', ''), workflow]));

	/**
	 * Waits until the webhook answers `value`. After a publish, n8n swaps the running version within a
	 * moment, not at the instant the API call returns (seen: the previous version answered for a short
	 * while on a loaded machine); how long it took is recorded in the timings.
	 */
	async function webhookValue(name: string, value: string, label: string): Promise<unknown> {
		const started = Date.now();
		let last: unknown;
		while (Date.now() - started < 20_000) {
			last = await webhook(name);
			if ((last as { value?: unknown })?.value === value) break;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		timings[label] = Date.now() - started;
		return last;
	}

	async function webhook(name: string): Promise<unknown> {
		const deadline = Date.now() + 20_000;
		for (;;) {
			const response = await fetch(`${harness.baseUrl}/webhook/${name}`);
			if (response.status !== 404 || Date.now() > deadline) return response.ok ? await response.json() : `HTTP ${response.status}: ${await response.text()}`;
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}

	it('--dry-run on an empty n8n says what it would create and writes nothing', async () => {
		const report = await run({ dryRun: true });
		expect(report.workflows.map((workflow) => workflow.action)).toEqual(['would create', 'would create', 'would create']);
		expect(await api.workflows()).toEqual([]);
	});

	it('a first deploy creates and publishes every workflow (sub-workflow first); the webhooks answer', async () => {
		const started = Date.now();
		const report = await run();
		timings.firstDeploy = Date.now() - started;
		const outcome = byName(report);
		// The sub-workflow goes first: the caller needs its id.
		expect(report.workflows.map((workflow) => workflow.name)[0]).toBe('WIDIP deploy e2e: greeting');
		expect(Object.values(outcome).map((workflow) => [workflow.action, workflow.published])).toEqual([
			['created', true],
			['created', true],
			['created', true],
		]);
		const workflows = await api.workflows();
		expect(workflows).toHaveLength(3);
		expect(workflows.every((workflow) => workflow.active)).toBe(true);
		expect(await webhook('widip-deploy-hello')).toMatchObject({ success: true, value: 'hello v1' });
		expect(await webhook('widip-deploy-caller')).toMatchObject({ success: true, value: 'greetings from the sub-workflow' });
		// The credential and the sub-workflow were resolved to n8n's ids.
		const caller = await api.workflow(outcome.caller.id!);
		expect(caller.nodes.find((node) => node.name === 'Call Greeting')!.parameters!.workflowId).toMatchObject({ value: outcome.greeting.id });
		const hello = await api.workflow(outcome.hello.id!);
		expect(hello.nodes.find((node) => node.name === 'Read Value')!.credentials).toEqual({ widipRedisApi: { id: 'widipDeployRedis', name: 'WIDIP Redis (deploy e2e)' } });
	});

	it('a second deploy changes nothing and says so', async () => {
		const before = await api.workflows();
		const started = Date.now();
		const report = await run();
		timings.noopDeploy = Date.now() - started;
		expect(report.workflows.map((workflow) => workflow.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
		const after = await api.workflows();
		expect(after.map((workflow) => [workflow.id, workflow.versionId]).sort()).toEqual(before.map((workflow) => [workflow.id, workflow.versionId]).sort());
	});

	it('a changed workflow: --dry-run shows the change and writes nothing; deploy updates it in place (same id) and republishes', async () => {
		const file = path.join(work, 'workflows', 'hello.json');
		const original = readFileSync(file, 'utf8');
		writeFileSync(file, original.replace('"key": "deploy_hello"', '"key": "deploy_hello_v2"'));
		const [helloBefore] = (await api.workflows()).filter((workflow) => workflow.name === 'WIDIP deploy e2e: hello');

		const preview = byName(await run({ dryRun: true }));
		expect(preview.hello).toMatchObject({ action: 'would update', changes: ['~ node "Read Value": parameters'] });
		expect(preview.caller.action).toBe('unchanged');
		expect((await api.workflow(helloBefore.id)).versionId).toBe(helloBefore.versionId);

		const report = byName(await run());
		expect(report.hello).toMatchObject({ action: 'updated', id: helloBefore.id });
		expect((await api.workflows()).filter((workflow) => workflow.name === 'WIDIP deploy e2e: hello').map((workflow) => workflow.id)).toEqual([helloBefore.id]);
		expect(await webhookValue('widip-deploy-hello', 'hello v2', 'updateServedAfter')).toMatchObject({ value: 'hello v2' });
	});

	it('--rollback restores the previous version of what the last deploy changed', async () => {
		const report = await rollback({ url: harness.baseUrl, apiKey, stateDir });
		expect(report.workflows).toEqual([{ name: 'WIDIP deploy e2e: hello', id: expect.any(String), action: 'restored' }]);
		expect(await webhookValue('widip-deploy-hello', 'hello v1', 'rollbackServedAfter')).toMatchObject({ value: 'hello v1' });
		// The files say what n8n runs again.
		writeFileSync(path.join(work, 'workflows', 'hello.json'), readFileSync(path.join(FIXTURES, 'hello.json'), 'utf8'));
	});

	it('a missing credential stops the deploy before any write, naming file, node and credential', async () => {
		const broken = path.join(work, 'broken');
		cpSync(path.join(work, 'workflows'), broken, { recursive: true });
		const file = path.join(broken, 'greeting.json');
		writeFileSync(file, readFileSync(file, 'utf8').replace('WIDIP Redis (deploy e2e)', 'WIDIP Redis (nowhere)'));
		const extra = JSON.parse(readFileSync(path.join(broken, 'hello.json'), 'utf8')) as { name: string };
		extra.name = 'WIDIP deploy e2e: never created';
		writeFileSync(path.join(broken, 'extra.json'), JSON.stringify(extra));
		const before = (await api.workflows()).map((workflow) => [workflow.id, workflow.versionId]).sort();
		const failure = await deploy({ url: harness.baseUrl, apiKey, paths: [broken], stateDir }).catch((error: unknown) => error);
		expect(failure).toBeInstanceOf(DeployError);
		expect((failure as DeployError).exitCode).toBe(1);
		expect((failure as Error).message).toMatch(/greeting\.json:Read Value:credentials\.widipRedisApi: no widipRedisApi credential named "WIDIP Redis \(nowhere\)"/);
		expect((failure as Error).message).toMatch(/nothing was written/);
		expect((await api.workflows()).map((workflow) => [workflow.id, workflow.versionId]).sort()).toEqual(before);
	});

	it('a webhook path already served by another published workflow stops the deploy before any write', async () => {
		const other = path.join(work, 'other');
		mkdirSync(other, { recursive: true });
		cpSync(path.join(FIXTURES, 'hello.json'), path.join(other, 'hello.json'));
		const file = path.join(other, 'hello.json');
		writeFileSync(file, readFileSync(file, 'utf8').replace('WIDIP deploy e2e: hello', 'WIDIP deploy e2e: impostor'));
		const failure = await deploy({ url: harness.baseUrl, apiKey, paths: [other], stateDir }).catch((error: unknown) => error);
		expect(failure).toMatchObject({ exitCode: 1, message: expect.stringMatching(/GET widip-deploy-hello is already served by the published workflow "WIDIP deploy e2e: hello"/) });
		expect((await api.workflows()).map((workflow) => workflow.name)).not.toContain('WIDIP deploy e2e: impostor');
	});

	it('a wrong API key or an unreachable n8n is a connection error (exit 2) that never shows the key', async () => {
		const wrong = await deploy({ url: harness.baseUrl, apiKey: 'not-the-key-0123456789', paths: [path.join(work, 'workflows')], stateDir }).catch((error: unknown) => error);
		expect(wrong).toMatchObject({ exitCode: 2, message: expect.stringMatching(/refused the API key/) });
		expect((wrong as Error).message).not.toContain('not-the-key');
		const closed = `http://127.0.0.1:${await freePort()}`;
		const down = await deploy({ url: closed, apiKey, paths: [path.join(work, 'workflows')], stateDir }).catch((error: unknown) => error);
		expect(down).toMatchObject({ exitCode: 2, message: expect.stringMatching(/is unreachable/) });
		expect((down as Error).message).not.toContain(apiKey);
	});

	it('the widip deploy command: --json report, exit codes, key from the environment only', async () => {
		// validate runs first, without n8n's node packages here: our nodes are checked, n8n's noted.
		const out: string[] = [];
		const err: string[] = [];
		const io = (env: NodeJS.ProcessEnv): CommandIo => ({ stdout: (text) => out.push(text), stderr: (text) => err.push(text), env, isTTY: false });
		const env = { WIDIP_N8N_URL: harness.baseUrl, WIDIP_N8N_API_KEY: apiKey };
		expect(await deployCommand(['--json', '--state-dir', stateDir, path.join(work, 'workflows')], io(env))).toBe(0);
		const report = JSON.parse(out.join('')) as { ok: boolean; workflows: Array<{ action: string }> };
		expect(report.ok).toBe(true);
		expect(report.workflows.map((workflow) => workflow.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
		expect(await deployCommand(['--state-dir', stateDir, path.join(work, 'workflows')], io({ WIDIP_N8N_URL: harness.baseUrl }))).toBe(2);
		expect(err.join('')).toMatch(/no n8n API key: set WIDIP_N8N_API_KEY/);
		expect(await deployCommand(['--dry-run', '--rollback'], io(env))).toBe(2);
		expect(await deployCommand(['--bogus'], io(env))).toBe(2);
		expect(out.join('') + err.join('')).not.toContain(apiKey);
	}, 60_000);

	it('deploys the shipped workflows/ into the running n8n (timed), and a re-deploy is a no-op', async () => {
		const shipped = path.join(__dirname, '..', '..', 'workflows');
		const started = Date.now();
		// The deploy variables an installation sets (README, "The three flows").
		const variables = { WIDIP_FLOW_RUNTIME_URL: 'http://127.0.0.1:9', WIDIP_FLOW_ONCALL_EMAIL: 'astreinte@widip.fr', WIDIP_FLOW_SUPERVISOR_EMAIL: 'superviseur@widip.fr' };
		const first = await deploy({ url: harness.baseUrl, apiKey, paths: [shipped], stateDir, variables });
		timings.shippedFirstDeploy = Date.now() - started;
		// The three flows and their sub-workflows, all published.
		expect(first.workflows.map((workflow) => workflow.name)).toEqual(expect.arrayContaining(['WIDIP Proactif v9', 'WIDIP Proactif v9 · Diagnose and Ticket', 'WIDIP Health-Check v3']));
		expect(first.workflows.filter((workflow) => workflow.name.startsWith('WIDIP ')).every((workflow) => workflow.published)).toBe(true);
		expect(first.workflows.length).toBeGreaterThan(0);
		expect(first.workflows.every((workflow) => ['created', 'updated', 'unchanged'].includes(workflow.action))).toBe(true);
		const again = Date.now();
		const second = await deploy({ url: harness.baseUrl, apiKey, paths: [shipped], stateDir, variables });
		timings.shippedNoopDeploy = Date.now() - again;
		expect(second.workflows.every((workflow) => workflow.action === 'unchanged')).toBe(true);
	});
});
