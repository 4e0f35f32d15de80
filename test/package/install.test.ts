import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { Coordination } from '../../core/redis/coordination';
import { connectTest, dropPrefix, freePort, REDIS_HOST, REDIS_PORT } from '../support/redis';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const NAME = 'n8n-nodes-widip';

/**
 * The package as someone outside this repository gets it: `npm pack`, then `npm install <tarball>`
 * into an empty project with production dependencies only and no install scripts (as n8n installs
 * community packages), then the `widip` command run from there on Node 24.
 */

// Node 24 first on PATH: npm, npx and the bin's `#!/usr/bin/env node` all run on it.
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
// A WIDIP_* setting of the machine running the tests must not leak into the runtime under test.
const BASE_ENV = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WIDIP_'))), PATH };

let work: string;
let project: string;
let packed: { filename: string; files: Array<{ path: string }> };
let installed: string;
let manifest: Record<string, any>;

function jsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((entry) => {
		const full = path.join(dir, entry);
		if (statSync(full).isDirectory()) return jsFiles(full);
		return entry.endsWith('.js') ? [full] : [];
	});
}

function npx(args: string[]) {
	// `--no`: never fetch from the registry; `--`: the flags after it are widip's, not npx's.
	return run('npx', ['--no', '--', 'widip', ...args], { cwd: project, env: BASE_ENV, timeout: 30_000 }).then(
		({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
		(error: { code?: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
	);
}

jest.setTimeout(120_000);

beforeAll(async () => {
	// Packs what the build made (`npm test` builds first). Without --ignore-scripts, prepack would
	// rebuild and wipe dist/ under the other test files running in parallel.
	if (!existsSync(path.join(ROOT, 'dist/runtime/cli.js'))) throw new Error('dist/runtime/cli.js is missing: run `npm run build` first');
	work = mkdtempSync(path.join(tmpdir(), 'widip-package-'));
	const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, env: BASE_ENV });
	packed = JSON.parse(stdout)[0];
	project = path.join(work, 'project');
	mkdirSync(project);
	writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'widip-install-check', version: '1.0.0', private: true }));
	await run(
		'npm',
		['install', path.join(work, packed.filename), '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
		{ cwd: project, env: BASE_ENV, timeout: 110_000 },
	);
	installed = path.join(project, 'node_modules', NAME);
	manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
});

afterAll(() => {
	if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
	it('ships compiled code only: no tsbuildinfo, no second package.json, no source maps, no test, sandbox or bench', () => {
		const files = packed.files.map((file) => file.path);
		expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/runtime/cli.js', 'dist/nodes/Glpi/Glpi.node.js']));
		// n8n-node build copies every .png/.svg of the checkout into dist/ (a test's screenshot too):
		// only the compiled folders may ship.
		const unwanted = files.filter(
			(file) =>
				!/^(package\.json|README\.md|LICENSE\.md|dist\/(core|credentials|icons|nodes|runtime)\/.+)$/.test(file) ||
				/tsbuildinfo|\.map$|(^|\/)(test|sandbox|bench|simulators|scripts)\/|sandbox|simulator/i.test(file) ||
				(file.endsWith('package.json') && file !== 'package.json') ||
				(file.endsWith('.ts') && !file.endsWith('.d.ts')),
		);
		expect(unwanted).toEqual([]);
	});

	it('declares the widip command and needs no install script, no optional dependency; n8n-workflow stays a peer', () => {
		expect(manifest.bin).toEqual({ widip: 'dist/runtime/cli.js' });
		expect(readFileSync(path.join(installed, 'dist/runtime/cli.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
		for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(manifest.scripts?.[script]).toBeUndefined();
		expect(manifest.optionalDependencies).toBeUndefined();
		expect(manifest.dependencies).not.toHaveProperty('n8n-workflow');
		expect(manifest.peerDependencies).toHaveProperty('n8n-workflow');
	});

	it('every require in dist/ stays inside the package or names a builtin or a declared dependency, and never the sandbox', () => {
		let seen = 0;
		const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
		const problems: string[] = [];
		for (const file of jsFiles(path.join(installed, 'dist'))) {
			const where = path.relative(installed, file);
			// tsc compiles static and lazy imports alike to require("…"): lazy ones are not run by requiring the file.
			for (const [, , target] of readFileSync(file, 'utf8').matchAll(/require\((["'])([^"']+)\1\)/g)) {
				seen++;
				if (/sandbox|simulator/.test(target)) problems.push(`${where}: requires ${target}`);
				if (target.startsWith('.')) {
					const resolved = path.resolve(path.dirname(file), target);
					if (!resolved.startsWith(path.join(installed, 'dist') + path.sep)) problems.push(`${where}: ${target} leaves dist/`);
					else if (!['.js', '/index.js', ''].some((ext) => existsSync(resolved + ext) && statSync(resolved + ext).isFile()))
						problems.push(`${where}: ${target} is not in the package`);
					continue;
				}
				const name = target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : target.split('/')[0];
				if (!target.startsWith('node:') && !builtinModules.includes(name) && !declared.has(name)) problems.push(`${where}: requires undeclared ${name}`);
			}
		}
		expect(seen).toBeGreaterThan(100);
		expect(problems).toEqual([]);
	});

	it('every compiled module loads from an install with production dependencies only', async () => {
		const script = `
			const failed = [];
			for (const file of ${JSON.stringify(jsFiles(path.join(installed, 'dist')))}) {
				try { require(file); } catch (error) { failed.push(file + ': ' + error.message.split('\\n')[0]); }
			}
			console.log(JSON.stringify(failed));`;
		const { stdout } = await run(process.execPath, ['-e', script], { cwd: project, env: BASE_ENV, timeout: 60_000 });
		expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual([]);
	});
});

describe('npx widip from the installed package', () => {
	it('--help exits 0 and lists every subcommand and the exit codes', async () => {
		const result = await npx(['--help']);
		expect(result.code).toBe(0);
		for (const command of ['serve', 'audit export', 'validate', 'deploy', 'help <command>']) expect(result.stdout).toContain(`  ${command}`);
		expect(result.stdout).toMatch(/exit codes:[\s\S]*0 {3}ok[\s\S]*1 {3}findings[\s\S]*2 {3}usage error/);
	});

	it('an unknown command exits 2 with the usage on stderr', async () => {
		const result = await npx(['nonsense']);
		expect(result.code).toBe(2);
		expect(result.stdout).toBe('');
		expect(result.stderr).toMatch(/^widip: unknown command "nonsense"\n[\s\S]*usage: widip <command>/);
	});

	describe('serve against the local Redis', () => {
		let coordination: Coordination;
		beforeAll(async () => {
			coordination = await connectTest('package');
		});
		afterAll(async () => {
			await dropPrefix(coordination);
			await coordination.close();
		});

		it('answers /health with 200, and SIGTERM stops it with exit code 0', async () => {
			const port = await freePort();
			// node on the installed bin itself (not through npx): one process, so SIGTERM reaches widip.
			const child = spawn(process.execPath, [path.join(project, 'node_modules/.bin/widip'), 'serve'], {
				cwd: project,
				env: {
					...BASE_ENV,
					WIDIP_ENV: 'development',
					WIDIP_HOST: '127.0.0.1',
					WIDIP_PORT: String(port),
					WIDIP_REDIS_HOST: REDIS_HOST,
					WIDIP_REDIS_PORT: String(REDIS_PORT),
					WIDIP_REDIS_PREFIX: coordination.config.keyPrefix,
				},
			});
			let output = '';
			const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
			try {
				await new Promise<void>((resolve, reject) => {
					const seen = (chunk: Buffer) => {
						output += chunk.toString();
						if (output.includes('widip: serving')) resolve();
					};
					child.stdout.on('data', seen);
					child.stderr.on('data', seen);
					child.once('exit', (code) => reject(new Error(`widip serve exited (${code}):\n${output}`)));
				});
				const health = await fetch(`http://127.0.0.1:${port}/health`);
				expect(health.status).toBe(200);
			} finally {
				child.kill('SIGTERM');
			}
			expect(await exited).toBe(0);
			expect(output).toContain('widip: SIGTERM, stopping');
		});
	});
});
