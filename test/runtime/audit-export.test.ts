import type { Requester } from '../../core/safeguard/approvals';
import { execFile } from 'node:child_process';
import path from 'node:path';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { connectTest, dropPrefix, freePort, REDIS_HOST, REDIS_PORT } from '../support/redis';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
// Letters and digits only, so a plain substring check over stdout is conclusive.
const SECRET = 'Hx4pQ9vTz2LmW7kRn3bY';

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** The real CLI in a child process, as an operator runs it: `widip audit export …`. */
async function cli(args: string[], env: Record<string, string>): Promise<Run> {
	// Only the variables given here: a WIDIP_* setting of the machine running the tests must not leak in.
	const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WIDIP_'))) as Record<string, string>;
	return await new Promise((resolve) => {
		execFile(
			path.join(BIN, 'tsx'),
			['runtime/cli.ts', 'audit', 'export', ...args],
			{ cwd: ROOT, env: { ...base, PATH: `${BIN}:${process.env.PATH ?? ''}`, ...env }, timeout: 20_000 },
			(error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
		);
	});
}

/** One JSON object per line, newline-terminated, nothing else on stdout. */
function jsonLines(stdout: string): Array<Record<string, unknown>> {
	expect(stdout.endsWith('\n')).toBe(true);
	return stdout
		.slice(0, -1)
		.split('\n')
		.map((line) => {
			const value: unknown = JSON.parse(line);
			expect(value).toEqual(expect.any(Object));
			expect(Array.isArray(value)).toBe(false);
			return value as Record<string, unknown>;
		});
}

// Each CLI run starts tsx and connects to Redis (about 2 s): more than jest's 5 s default for some tests.
jest.setTimeout(60_000);

describe('widip audit export (real CLI, real Redis)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	let env: Record<string, string>;
	let approvalId: string;
	const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Assist', execution: '7001' };

	beforeAll(async () => {
		coordination = await connectTest('audit-export');
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		env = { WIDIP_REDIS_HOST: REDIS_HOST, WIDIP_REDIS_PORT: String(REDIS_PORT), WIDIP_REDIS_PREFIX: coordination.config.keyPrefix };

		await safeguard.authorize('glpi.get_ticket', { ticketId: 48213 }, { reason: 'lecture du ticket', requester });
		await safeguard.authorize('ad.unlock_account', { sAMAccountName: 'j.petit' }, { confidence: 85, reason: 'compte verrouillé', requester });
		const verdict = await safeguard.authorize(
			'mysecret.create_secret',
			{ payload: SECRET, expireAfterDays: 2, expireAfterViews: 1 },
			{ confidence: 40, reason: 'envoyer le mot de passe', requester },
		);
		if (verdict.status !== 'approval_required') throw new Error(`expected an approval request, got ${verdict.status}`);
		approvalId = verdict.approval.id;
		await safeguard.recordExecution('ad.unlock_account', undefined, 'succeeded', 'Account j.petit unlocked');
		// More than one export batch (500): the CLI must page through the stream without losing or repeating entries.
		for (let i = 0; i < 520; i++) await safeguard.audit.append({ event: 'decision', operationId: 'glpi.get_ticket', outcome: 'allow', actor: `bulk-${i}` });
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('prints every entry as one JSON object per line, oldest first, with its fields and parsed detail', async () => {
		const run = await cli([], env);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		const entries = jsonLines(run.stdout);

		const stream = await coordination.redis.xrange(safeguard.audit.key, '-', '+');
		expect(entries).toHaveLength(stream.length);
		expect(entries.map((entry) => entry.id)).toEqual(stream.map(([id]) => id));

		const [l0, l2, request, execution] = entries;
		for (const entry of entries) expect(Number.isNaN(Date.parse(entry.at as string))).toBe(false);
		expect(l0).toMatchObject({ event: 'decision', operationId: 'glpi.get_ticket', outcome: 'allow', actor: 'assist' });
		expect(l0.detail).toEqual({
			level: 0,
			catalogueLevel: 0,
			policy: 'catalogue',
			reason: 'L0 read-only',
			confidence: null,
			agentReason: 'lecture du ticket',
			requester,
			arguments: { ticketId: 48213 },
		});
		expect(l2).toMatchObject({
			event: 'decision',
			operationId: 'ad.unlock_account',
			outcome: 'allow_and_notify',
			detail: { level: 2, confidence: 85, arguments: { sAMAccountName: 'j.petit' } },
		});
		expect(request).toMatchObject({
			event: 'request',
			operationId: 'mysecret.create_secret',
			outcome: 'pending',
			approvalId,
			detail: { level: 1, confidence: 40, arguments: { payload: '[redacted]', expireAfterDays: 2, expireAfterViews: 1 } },
		});
		expect(execution).toMatchObject({ event: 'execution', operationId: 'ad.unlock_account', outcome: 'succeeded', detail: { summary: 'Account j.petit unlocked' } });
		expect(entries.slice(4).map((entry) => entry.actor)).toEqual(Array.from({ length: 520 }, (_, i) => `bulk-${i}`));
		expect(run.stdout).not.toContain(SECRET);
		// No digest of the arguments at all: nothing to run a dictionary against.
		expect(run.stdout).not.toMatch(/[0-9a-f]{64}/);
		expect(request).not.toHaveProperty('digest');
	});

	it('--since prints only the entries from that time on', async () => {
		const [[lastId]] = await coordination.redis.xrevrange(safeguard.audit.key, '+', '-', 'COUNT', 1);
		const sinceMs = Number(lastId.split('-')[0]) + 1;
		// Stream ids carry Redis's clock in ms: wait until later entries cannot share the last one's millisecond.
		const redisNowMs = async () => {
			const [seconds, micros] = await coordination.redis.time();
			return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
		};
		while ((await redisNowMs()) <= sinceMs) await new Promise((resolve) => setTimeout(resolve, 2));
		expect(await safeguard.approvals.decide(approvalId, 'rejected', 'tech.martin', 'pas de demande du client')).toBe('ok');
		const first = await safeguard.audit.append({ event: 'rejection', operationId: 'mysecret.create_secret', outcome: 'rejected', actor: 'tech.martin', approvalId });
		const second = await safeguard.audit.append({ event: 'decision', operationId: 'glpi.get_ticket', outcome: 'allow', actor: 'after-since' });
		expect(Number(first.split('-')[0])).toBeGreaterThanOrEqual(sinceMs);

		const run = await cli(['--since', new Date(sinceMs).toISOString()], env);
		expect(run.stderr).toBe('');
		expect(run.code).toBe(0);
		const entries = jsonLines(run.stdout);
		expect(entries.map((entry) => entry.id)).toEqual([first, second]);
		expect(entries[0]).toMatchObject({ event: 'rejection', outcome: 'rejected', actor: 'tech.martin', approvalId });
		expect(entries[0]).not.toHaveProperty('detail');
	});

	it('--since with something that is not a time exits 2 and says what it needs', async () => {
		for (const args of [['--since', 'garbage'], ['--since']]) {
			const run = await cli(args, env);
			expect(run.code).toBe(2);
			expect(run.stdout).toBe('');
			expect(run.stderr).toBe('widip audit export: --since needs an ISO time, e.g. 2026-11-01T00:00:00Z\n');
		}
	});

	it('an unreachable Redis fails with one line naming it, no stack trace', async () => {
		const port = await freePort();
		const run = await cli([], { ...env, WIDIP_REDIS_PORT: String(port) });
		expect(run.code).not.toBe(0);
		expect(run.code).not.toBeNull(); // exited by itself, not killed by the timeout
		expect(run.stdout).toBe('');
		expect(run.stderr.endsWith('\n')).toBe(true);
		expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
		expect(run.stderr).toContain(`127.0.0.1:${port}`);
		expect(run.stderr).toMatch(/^widip audit export: .*(refused|cannot|unreachable)/i);
		expect(run.stderr).not.toMatch(/^\s+at /m);
	});
});
