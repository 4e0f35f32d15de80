import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { CommandIo } from '../../runtime/command-io';
import { validateCommand } from '../../runtime/validate/command';
import { CORPUS, n8nDir, ROOT, VALID } from './support';

const run = promisify(execFile);

async function validate(argv: string[], env: NodeJS.ProcessEnv = {}) {
	let stdout = '';
	let stderr = '';
	const io: CommandIo = { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env, isTTY: false };
	const cwd = process.cwd();
	process.chdir(ROOT);
	try {
		const code = await validateCommand(argv, io);
		return { code, stdout, stderr };
	} finally {
		process.chdir(cwd);
	}
}

describe('widip validate, the command', () => {
	let scratch: string;

	beforeAll(() => {
		scratch = mkdtempSync(path.join(tmpdir(), 'widip-validate-'));
	});

	afterAll(() => rmSync(scratch, { recursive: true, force: true }));

	it('prints one finding per line as file:node:field: message and exits 1 on errors', async () => {
		const { code, stdout, stderr } = await validate(['--n8n', n8nDir(), `${CORPUS}/expressions.json`]);
		expect(code).toBe(1);
		expect(stdout.trim().split('\n')).toEqual([
			`${CORPUS}/expressions.json:Set Key:parameters.key: expression does not parse: Unexpected token '}' in {{ $json.site + }}`,
			`${CORPUS}/expressions.json:Set Key:parameters.value: expression not closed: "{{ $json.device" has no "}}"`,
			`${CORPUS}/expressions.json:Get Key:parameters.key: expression refers to node "Acquire GPU", which is not in this workflow`,
			`${CORPUS}/expressions.json:Plain Text:parameters.key: warning: missing '=': n8n treats it as text, not an expression`,
			`${CORPUS}/expressions.json:Old Style:parameters.key: expression refers to node "Set Kee", which is not in this workflow`,
		]);
		expect(stderr).toContain('1 file(s): 4 error(s), 1 warning(s)');
	}, 120_000);

	it('exits 0 when there are warnings only', async () => {
		const file = path.join(scratch, 'warning-only.json');
		writeFileSync(file, JSON.stringify({
			name: 'Warning only',
			nodes: [
				{ name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				{ name: 'Get', type: 'n8n-nodes-widip.redisHelper', typeVersion: 1, position: [200, 0], parameters: { operation: 'redis.get', key: 'site' }, credentials: { widipRedisApi: { id: 'abc123', name: 'WIDIP Redis' } } },
			],
			connections: { Start: { main: [[{ node: 'Get', type: 'main', index: 0 }]] } },
		}));
		const { code, stdout } = await validate(['--n8n', n8nDir(), file]);
		expect(stdout).toContain(':Get:credentials.widipRedisApi.id: warning: credential id "abc123"');
		expect(code).toBe(0);
	}, 120_000);

	it('--json: { ok, files, findings: [{file, node, field, message, severity}], notes }', async () => {
		const { code, stdout } = await validate(['--json', `--n8n=${n8nDir()}`, `${CORPUS}/unreachable.json`]);
		expect(code).toBe(1);
		const report = JSON.parse(stdout) as Record<string, unknown>;
		expect(report).toEqual({
			ok: false,
			files: [`${CORPUS}/unreachable.json`],
			findings: [
				{ file: `${CORPUS}/unreachable.json`, node: 'Orphan', field: 'connections', message: 'not reachable: no path from a trigger or webhook leads to this node', severity: 'error' },
				{ file: `${CORPUS}/unreachable.json`, node: 'After Orphan', field: 'connections', message: 'not reachable: no path from a trigger or webhook leads to this node', severity: 'error' },
			],
			notes: [],
		});
	}, 120_000);

	it('takes n8n from WIDIP_N8N_DIR, and without it notes what it cannot check', async () => {
		const withEnv = await validate(['--json', VALID], { WIDIP_N8N_DIR: n8nDir() });
		expect(JSON.parse(withEnv.stdout)).toMatchObject({ ok: true, findings: [], notes: [] });
		expect(withEnv.code).toBe(0);
		const without = await validate([VALID]);
		expect(without.code).toBe(0);
		expect(without.stderr).toContain("note: cannot check n8n-nodes-base.manualTrigger: n8n's node packages not found (use --n8n <dir>)");
	}, 120_000);

	it('exits 2 on usage errors, missing or unreadable files and files that are not JSON', async () => {
		expect((await validate([])).code).toBe(2);
		expect((await validate(['--frobnicate', VALID])).code).toBe(2);
		expect((await validate(['--n8n'])).code).toBe(2);
		const missing = await validate(['no/such/workflow.json']);
		expect(missing).toMatchObject({ code: 2, stderr: 'widip validate: no/such/workflow.json: no such file or folder\n' });
		const notJson = path.join(scratch, 'broken.json');
		writeFileSync(notJson, '{"nodes": [');
		const broken = await validate(['--json', notJson]);
		expect(broken.code).toBe(2);
		expect(broken.stderr).toContain(`${notJson}: not JSON:`);
		expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, error: expect.stringContaining('not JSON') });
	});

	it('--help prints the usage and exits 0', async () => {
		const { code, stdout } = await validate(['--help']);
		expect(code).toBe(0);
		expect(stdout).toContain('Usage: widip validate [--json] [--n8n <dir>] <file or folder>...');
		expect(stdout).toContain('Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error or unreadable file.');
	});

	it('runs as the widip command in its own process (n8n node classes loaded by Node itself)', async () => {
		const tsx = path.join(ROOT, 'node_modules/.bin/tsx');
		// The deploy variables an installation sets: validate checks what deploy would send.
		const flowEnv = { WIDIP_FLOW_RUNTIME_URL: 'http://widip:8080', WIDIP_FLOW_ONCALL_EMAIL: 'astreinte@widip.fr', WIDIP_FLOW_SUPERVISOR_EMAIL: 'superviseur@widip.fr' };
		const ok = await run(tsx, ['runtime/cli.ts', 'validate', '--n8n', n8nDir(), VALID, 'workflows'], { cwd: ROOT, env: { ...process.env, ...flowEnv, WIDIP_N8N_DIR: '' } });
		expect(ok.stdout).toBe('workflows/examples/llm-mutex-pattern.json:-:id: warning: workflow without an id: `n8n import:workflow` refuses it (the editor and deploy assign one)\n');
		expect(ok.stderr).toMatch(/\b\d+ file\(s\): 0 error\(s\), 1 warning\(s\)/);
		const failed = await run(tsx, ['runtime/cli.ts', 'validate', '--n8n', n8nDir(), `${CORPUS}/ai-connections.json`], { cwd: ROOT }).then(
			() => ({ code: 0, stdout: '' }),
			(error: { code: number; stdout: string }) => error,
		);
		expect(failed.code).toBe(1);
		expect(failed.stdout).toContain(`${CORPUS}/ai-connections.json:Agent:connections.ai_languageModel: needs a connection of type ai_languageModel (Chat Model)`);
	}, 180_000);
});
