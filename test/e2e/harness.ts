import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { freePort } from '../support/redis';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');

/** Installs (once, cached outside the package) the pinned n8n and returns its folder. */
export function ensureN8n(): string {
	const out = execFileSync('bash', [path.join(__dirname, 'install-n8n.sh')], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit'],
		timeout: 30 * 60_000,
	});
	return out.trim().split('\n').pop()!;
}

export interface NodeRun {
	executionStatus: string;
	data?: { main: Array<Array<{ json: Record<string, unknown> }> | null> };
	error?: { message: string; description?: string };
}

export interface ExecutionResult {
	ok: boolean;
	exitCode: number;
	/** resultData.runData: node name → its runs. */
	runData: Record<string, NodeRun[]>;
	error?: { message: string; description?: string; node?: { name: string } };
	/** Everything n8n printed, for "no secret anywhere" checks. */
	output: string;
	durationMs: number;
}

/**
 * A throw-away n8n user folder with this package installed the way production installs it, and
 * helpers to import fixtures and run workflows headless.
 */
export class N8nHarness {
	private constructor(
		readonly n8nDir: string,
		readonly userFolder: string,
		/** n8n's task broker listens on 5679 by default: each harness gets its own port. */
		private readonly brokerPort: number,
	) {}

	static async create(): Promise<N8nHarness> {
		const n8nDir = ensureN8n();
		const work = mkdtempSync(path.join(tmpdir(), 'widip-n8n-'));
		const userFolder = path.join(work, 'user');
		const harness = new N8nHarness(n8nDir, userFolder, await freePort());
		await harness.installPackedPackage(work);
		return harness;
	}

	/**
	 * Mirrors n8n's CommunityPackagesService.downloadPackage: extract the tarball into
	 * ~/.n8n/nodes/node_modules/<name>, drop dev/peer/optional dependencies, then
	 * `npm install --ignore-scripts` inside it, and record it in ~/.n8n/nodes/package.json.
	 */
	private async installPackedPackage(work: string): Promise<void> {
		// --ignore-scripts: prepack would rebuild, wiping dist/ under the test files packing beside this
		// one; `npm run test:e2e` builds once before any of them.
		const packed = JSON.parse(
			(await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT })).stdout,
		) as Array<{ filename: string; name: string; version: string }>;
		const { filename, name, version } = packed[0];
		const nodesDir = path.join(this.userFolder, '.n8n', 'nodes');
		const packageDir = path.join(nodesDir, 'node_modules', name);
		mkdirSync(packageDir, { recursive: true });
		await run('tar', ['-xzf', path.join(work, filename), '-C', packageDir, '--strip-components=1']);
		const manifestPath = path.join(packageDir, 'package.json');
		const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(
			readFileSync(manifestPath, 'utf8'),
		);
		void devDependencies;
		void peerDependencies;
		void optionalDependencies;
		writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
		await run(
			'npm',
			[
				'install',
				'--audit=false',
				'--fund=false',
				'--bin-links=false',
				'--install-strategy=shallow',
				'--ignore-scripts=true',
				'--package-lock=false',
			],
			{ cwd: packageDir },
		);
		writeFileSync(
			path.join(nodesDir, 'package.json'),
			JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [name]: version } }, null, 2),
		);
	}

	env(): NodeJS.ProcessEnv {
		return {
			PATH: `${path.join(this.n8nDir, 'node_modules', '.bin')}:${process.env.PATH}`,
			HOME: process.env.HOME,
			N8N_USER_FOLDER: this.userFolder,
			N8N_ENCRYPTION_KEY: 'widip-e2e-encryption-key',
			N8N_DIAGNOSTICS_ENABLED: 'false',
			N8N_PERSONALIZATION_ENABLED: 'false',
			N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
			N8N_SECURE_COOKIE: 'false',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			// `n8n execute --rawOutput` prints the run through the logger: info level is required.
			N8N_LOG_LEVEL: 'info',
		};
	}

	private async n8n(args: string[], timeoutMs = 120_000) {
		return await run(path.join(this.n8nDir, 'node_modules', '.bin', 'n8n'), args, {
			env: this.env(),
			timeout: timeoutMs,
			maxBuffer: 64 * 1024 * 1024,
		});
	}

	/** Plain-text credential data is encrypted by n8n with the instance key on import. */
	async importCredentials(credentials: object[]): Promise<void> {
		const file = path.join(this.userFolder, `credentials-${Date.now()}.json`);
		writeFileSync(file, JSON.stringify(credentials));
		try {
			await this.n8n(['import:credentials', `--input=${file}`]);
		} finally {
			rmSync(file, { force: true });
		}
	}

	async importWorkflows(workflows: object[]): Promise<void> {
		const file = path.join(this.userFolder, `workflows-${Date.now()}.json`);
		writeFileSync(file, JSON.stringify(workflows));
		await this.n8n(['import:workflow', `--input=${file}`]);
	}

	/** Runs a workflow that starts with a Manual Trigger, as `n8n execute --rawOutput`. */
	async execute(workflowId: string, timeoutMs = 120_000): Promise<ExecutionResult> {
		const started = Date.now();
		let stdout = '';
		let stderr = '';
		let exitCode = 0;
		try {
			({ stdout, stderr } = await this.n8n(['execute', `--id=${workflowId}`, '--rawOutput'], timeoutMs));
		} catch (error) {
			const failed = error as { stdout?: string; stderr?: string; code?: number };
			stdout = failed.stdout ?? '';
			stderr = failed.stderr ?? '';
			exitCode = typeof failed.code === 'number' ? failed.code : 1;
		}
		const lines = stdout.split('\n');
		const start = lines.findIndex((line) => line === '{');
		if (start < 0) throw new Error(`n8n printed no run data (exit ${exitCode}):\n${stdout}\n${stderr}`);
		// The pretty-printed run ends at the first unindented "}"; n8n may print more after it.
		const end = lines.indexOf('}', start);
		const parsed = JSON.parse(lines.slice(start, end + 1).join('\n'));
		const resultData = (parsed.data ?? parsed).resultData;
		return {
			ok: exitCode === 0 && !resultData.error,
			exitCode,
			runData: resultData.runData ?? {},
			error: resultData.error,
			output: `${stdout}\n${stderr}`,
			durationMs: Date.now() - started,
		};
	}

	/** n8n 2.x: publishing replaces activation; it must happen while n8n is stopped. */
	async publish(workflowId: string): Promise<void> {
		await this.n8n(['publish:workflow', `--id=${workflowId}`]);
	}

	private server?: ChildProcess;
	private serverLog = '';
	/** Base URL of the running `n8n start`, e.g. http://127.0.0.1:5678 */
	baseUrl = '';

	/**
	 * `n8n start` on a free port, serving production webhooks and resume URLs
	 * (`/webhook-waiting/<execution>`) at baseUrl; resolves once /healthz answers.
	 */
	async start(timeoutMs = 180_000): Promise<string> {
		const port = await freePort();
		this.baseUrl = `http://127.0.0.1:${port}`;
		const server = spawn(path.join(this.n8nDir, 'node_modules', '.bin', 'n8n'), ['start'], {
			env: { ...this.env(), N8N_PORT: String(port), N8N_LISTEN_ADDRESS: '127.0.0.1', N8N_WEBHOOK_URL: `${this.baseUrl}/`, N8N_HOST: '127.0.0.1' },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.server = server;
		server.stdout!.on('data', (chunk: Buffer) => (this.serverLog += chunk.toString()));
		server.stderr!.on('data', (chunk: Buffer) => (this.serverLog += chunk.toString()));
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (server.exitCode !== null) throw new Error(`n8n start exited (${server.exitCode}):\n${this.serverLog}`);
			const ready = await fetch(`${this.baseUrl}/healthz/readiness`).then((r) => r.ok, () => false);
			if (ready) return this.baseUrl;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		throw new Error(`n8n start not ready within ${timeoutMs} ms:\n${this.serverLog}`);
	}

	/**
	 * An n8n public API key for the running n8n, as an operator gets one: the owner account is set up
	 * (first start), then a key with every scope the owner role allows is created through the REST API.
	 */
	async createApiKey(label = 'widip e2e'): Promise<string> {
		const owner = { email: 'owner@widip.test', firstName: 'Wid', lastName: 'Ip', password: 'E2e-Owner-Passw0rd' };
		let response = await fetch(`${this.baseUrl}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(owner) });
		if (!response.ok) {
			// Already set up: log in instead.
			response = await fetch(`${this.baseUrl}/rest/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ emailOrLdapLoginId: owner.email, password: owner.password }),
			});
		}
		if (!response.ok) throw new Error(`n8n owner set-up / login failed: ${response.status} ${await response.text()}`);
		const cookie = (response.headers.getSetCookie?.() ?? []).map((line) => line.split(';')[0]).join('; ');
		const scopesAnswer = await fetch(`${this.baseUrl}/rest/api-keys/scopes`, { headers: { cookie } });
		const scopes = ((await scopesAnswer.json()) as { data: string[] }).data;
		const created = await fetch(`${this.baseUrl}/rest/api-keys`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', cookie },
			body: JSON.stringify({ label, scopes, expiresAt: null }),
		});
		if (!created.ok) throw new Error(`n8n API key creation failed: ${created.status} ${await created.text()}`);
		return ((await created.json()) as { data: { rawApiKey: string } }).data.rawApiKey;
	}

	/** What the running n8n printed so far (for failures and "no secret anywhere" checks). */
	log(): string {
		return this.serverLog;
	}

	async stop(): Promise<void> {
		const server = this.server;
		if (!server || server.exitCode !== null) return;
		const exited = new Promise((resolve) => server.once('exit', resolve));
		server.kill('SIGTERM');
		const timer = setTimeout(() => server.kill('SIGKILL'), 20_000);
		await exited;
		clearTimeout(timer);
	}

	dispose(): void {
		rmSync(path.dirname(this.userFolder), { recursive: true, force: true });
	}
}

/** The JSON items a node sent to one of its outputs in its first run. */
export function outputItems(result: ExecutionResult, node: string, output = 0): Array<Record<string, unknown>> {
	const runs = result.runData[node];
	if (!runs) return [];
	return (runs[0].data?.main[output] ?? []).map((item) => item.json);
}

export function loadWorkflow(file: string): Record<string, unknown> {
	return JSON.parse(readFileSync(path.join(__dirname, 'workflows', file), 'utf8'));
}
