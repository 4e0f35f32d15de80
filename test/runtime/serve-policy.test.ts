import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import type { Requester } from '../../core/safeguard/approvals';
import { connectTest, dropPrefix, freePort, REDIS_HOST, REDIS_PORT } from '../support/redis';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const SECRET = 'serve-policy-test-safeguard-key-0123456789';

jest.setTimeout(60_000);

/**
 * `widip serve` as an operator starts it (a real process): production refuses a lowered level
 * without the operator's explicit per-operation setting; with it, the runtime starts, warns in its
 * log, audits the lowering and publishes a signed policy that the nodes' key verifies.
 */
describe('widip serve and the Safeguard policy (real process, real Redis)', () => {
	let coordination: Coordination;
	let env: Record<string, string>;
	const children: ChildProcess[] = [];

	beforeAll(async () => {
		coordination = await connectTest('serve-policy');
		env = {
			WIDIP_ENV: 'production',
			WIDIP_REDIS_HOST: REDIS_HOST,
			WIDIP_REDIS_PORT: String(REDIS_PORT),
			WIDIP_REDIS_PREFIX: coordination.config.keyPrefix,
			WIDIP_TECHNICIAN_KEYS: 'tech.martin:tech-key-aaaaaaaaaaaaaaaaaaaaaaaa',
			WIDIP_AGENT_KEYS: 'assist:agent-key-bbbbbbbbbbbbbbbbbbbbbbbb',
			WIDIP_SAFEGUARD_SECRET: SECRET,
		};
	});
	afterAll(async () => {
		for (const child of children) {
			if (child.exitCode !== null || child.signalCode !== null) continue;
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			await exited;
		}
		await dropPrefix(coordination);
		await coordination.close();
	});

	/** Starts `widip serve`; resolves with its output once it serves, or with its exit code. */
	async function start(extra: Record<string, string>): Promise<{ code: number | null; output: string }> {
		const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WIDIP_'))) as Record<string, string>;
		// node itself with tsx's loader, not the tsx wrapper: one process, so killing it leaves no orphan.
		const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/cli.ts', 'serve'], {
			cwd: ROOT,
			env: { ...base, PATH: `${BIN}:${process.env.PATH ?? ''}`, ...env, WIDIP_PORT: String(await freePort()), ...extra },
		});
		children.push(child);
		let output = '';
		return await new Promise((resolve) => {
			const seen = (chunk: Buffer) => {
				output += chunk.toString();
				if (output.includes('widip: serving')) resolve({ code: null, output });
			};
			child.stdout.on('data', seen);
			child.stderr.on('data', seen);
			child.on('exit', (code) => resolve({ code, output }));
		});
	}

	it('production refuses to start with a lowered level the operator did not allow by name', async () => {
		const run = await start({ WIDIP_SAFEGUARD_LEVELS: '{"ad.reset_password": 1}' });
		expect(run.code).toBe(78);
		expect(run.output).toMatch(/lowers ad.reset_password from L3 to L1; production needs WIDIP_SAFEGUARD_ALLOW_LOWER=ad.reset_password/);
		expect(run.output).not.toContain(SECRET);
	});

	it('no setting lowers an L4', async () => {
		const run = await start({ WIDIP_SAFEGUARD_LEVELS: '{"ad.delete_user": 3}', WIDIP_SAFEGUARD_ALLOW_LOWER: 'ad.delete_user' });
		expect(run.code).toBe(78);
		expect(run.output).toMatch(/ad.delete_user is L4 \(forbidden to AI\): it can never be lowered/);
	});

	it('with the explicit setting it starts, warns, audits the lowering and publishes a signed policy the nodes apply', async () => {
		const run = await start({ WIDIP_SAFEGUARD_LEVELS: '{"ad.unlock_account": 1}', WIDIP_SAFEGUARD_ALLOW_LOWER: 'ad.unlock_account' });
		expect(run.code).toBeNull();
		expect(run.output).toMatch(/Safeguard level lowered below the catalogue/);
		expect(run.output).toMatch(/ad.unlock_account/);
		expect(run.output).not.toContain(SECRET);

		const node = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue, SECRET);
		const audit = await coordination.redis.xrange(node.audit.key, '-', '+');
		expect(audit.map(([, fields]) => fields.join(' '))).toContainEqual(expect.stringMatching(/event policy operationId ad.unlock_account outcome lowered/));
		const verified = await node.policy.readVerified();
		expect(verified).toMatchObject({ source: 'signed', policy: { levels: { 'ad.unlock_account': 1 }, allowLower: ['ad.unlock_account'] } });
		const requester: Requester = { face: 'mcp', agent: 'assist' };
		expect(await node.authorize('ad.unlock_account', { sAMAccountName: 'j.petit' }, { reason: 'r', confidence: 90, requester })).toMatchObject({
			status: 'allowed',
			notified: false,
		});
		// A node without the key (or with another) applies the catalogue's L2 instead.
		const keyless = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		expect(await keyless.authorize('ad.unlock_account', { sAMAccountName: 'j.petit' }, { reason: 'r', confidence: 90, requester })).toMatchObject({
			status: 'allowed',
			notified: true,
		});
	});
});
