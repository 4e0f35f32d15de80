import type { Requester } from '../../core/safeguard/approvals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { Safeguard } from '../../core/safeguard/guard';
import { Resumer } from '../../runtime/resumer';
import { captureLogger } from '../support/capture-logger';
import { expireNow } from '../safeguard/support';
import { connectTest, dropPrefix, freePort } from '../support/redis';

interface ResumeCall {
	path: string;
	contentType: string | undefined;
	body: unknown;
}

/** A stand-in for n8n's resume endpoint (/webhook-waiting/<execution>): records calls, answers as told. */
async function startN8n(statusFor: (path: string, nth: number) => number = () => 200) {
	const calls: ResumeCall[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			const path = req.url ?? '';
			const nth = calls.filter((call) => call.path === path).length;
			calls.push({ path, contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
			res.writeHead(statusFor(path, nth), { 'content-type': 'application/json' }).end('{}');
		});
	});
	return await listen(server, 0, calls);
}

async function listen(server: http.Server, port: number, calls: ResumeCall[]) {
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, '127.0.0.1', resolve);
	});
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		base,
		calls,
		callsTo: (path: string) => calls.filter((call) => call.path === path),
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

describe('Resumer: waiting n8n executions resumed once decided or expired (real Redis, HTTP)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	let resumer: Resumer;
	let n8n: Awaited<ReturnType<typeof startN8n>>;
	/** Per path: the status n8n answers for its nth call (default 200). */
	const answers = new Map<string, (nth: number) => number>();
	const logger = captureLogger();
	const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Reset', execution: '5120' };
	const args = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true };

	beforeAll(async () => {
		coordination = await connectTest('resumer');
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue);
		resumer = new Resumer(safeguard.approvals, safeguard.audit, logger, { timeoutMs: 2000 });
		n8n = await startN8n((path, nth) => answers.get(path)?.(nth) ?? 200);
	});
	afterEach(async () => {
		// Each test starts with an empty work list: what one leaves waiting must not be swept by the next.
		await coordination.redis.del(safeguard.approvals.waitingKey);
		answers.clear();
	});
	afterAll(async () => {
		await n8n.close();
		await dropPrefix(coordination);
		await coordination.close();
	});

	/** What a Safeguard Gate does: an L3 request whose execution waits at `resumeUrl`. */
	async function gateRequest(resumeUrl: string, ttlMs?: number) {
		const verdict = await safeguard.authorize('ad.reset_password', args, { confidence: 90, reason: 'Mot de passe oublié', requester, resumeUrl, ttlMs });
		if (verdict.status !== 'approval_required') throw new Error(`expected an approval request, got ${verdict.status}`);
		return verdict.approval;
	}

	async function isWaiting(id: string): Promise<boolean> {
		return (await coordination.redis.zscore(safeguard.approvals.waitingKey, id)) !== null;
	}

	it('resumes once after a technician approves (or rejects), then forgets the execution', async () => {
		const path = '/webhook-waiting/5120';
		const request = await gateRequest(`${n8n.base}${path}`);
		expect(await isWaiting(request.id)).toBe(true);

		expect(await safeguard.approvals.decide(request.id, 'approved', 'tech.martin', 'appel vérifié')).toBe('ok');
		expect(await resumer.sweep()).toBe(1);
		// n8n reads the decision from Redis: the call only names the request.
		expect(n8n.callsTo(path)).toEqual([{ path, contentType: 'application/json', body: { approvalId: request.id } }]);
		expect(await isWaiting(request.id)).toBe(false);

		expect(await resumer.sweep()).toBe(0);
		expect(n8n.callsTo(path)).toHaveLength(1);

		const rejectedPath = '/webhook-waiting/5121';
		const rejected = await gateRequest(`${n8n.base}${rejectedPath}`);
		expect(await safeguard.approvals.decide(rejected.id, 'rejected', 'tech.martin', 'identité non vérifiée')).toBe('ok');
		expect(await resumer.sweep()).toBe(1);
		expect(n8n.callsTo(rejectedPath)).toEqual([{ path: rejectedPath, contentType: 'application/json', body: { approvalId: rejected.id } }]);
		expect(await isWaiting(rejected.id)).toBe(false);

		// The resume URL is the runtime's business only: neither the audit nor technicians see it.
		expect(JSON.stringify(await coordination.redis.xrange(safeguard.audit.key, '-', '+'))).not.toContain(n8n.base);
		expect(JSON.stringify(await safeguard.approvals.get(request.id))).not.toContain(n8n.base);
	});

	it('leaves a pending request alone until it expires, then marks it expired, audits it and resumes', async () => {
		const path = '/webhook-waiting/5130';
		const request = await gateRequest(`${n8n.base}${path}`);

		expect(await resumer.sweep()).toBe(0);
		expect(n8n.callsTo(path)).toEqual([]);
		expect(await isWaiting(request.id)).toBe(true);
		expect(await coordination.redis.hget(safeguard.approvals.key(request.id), 'status')).toBe('pending');

		await expireNow(coordination.redis, safeguard.approvals, request.id);
		// The work list is ordered by expiry: move this one to "now" as well.
		await coordination.redis.zadd(safeguard.approvals.waitingKey, Date.now() - 1, request.id);
		expect(await resumer.sweep()).toBe(1);
		// Stored as expired (not only shown so by get()), so a late approval cannot revive it.
		expect(await coordination.redis.hget(safeguard.approvals.key(request.id), 'status')).toBe('expired');
		expect(await safeguard.approvals.decide(request.id, 'approved', 'tech.martin', 'trop tard')).toBe('expired');
		expect(n8n.callsTo(path)).toEqual([{ path, contentType: 'application/json', body: { approvalId: request.id } }]);
		expect(await isWaiting(request.id)).toBe(false);

		const expiries = (await coordination.redis.xrange(safeguard.audit.key, '-', '+'))
			.map(([, fields]) => Object.fromEntries(fields.flatMap((_, i) => (i % 2 ? [] : [[fields[i], fields[i + 1]]]))) as Record<string, string>)
			.filter((entry) => entry.event === 'expiry' && entry.approvalId === request.id);
		expect(expiries).toEqual([
			expect.objectContaining({ operationId: 'ad.reset_password', outcome: 'expired', actor: 'runtime' }),
		]);

		expect(await resumer.sweep()).toBe(0);
		expect(n8n.callsTo(path)).toHaveLength(1);
	});

	it('keeps an execution whose n8n cannot be reached and resumes it on a later sweep', async () => {
		const port = await freePort();
		const path = '/webhook-waiting/5140';
		const request = await gateRequest(`http://127.0.0.1:${port}${path}`);
		expect(await safeguard.approvals.decide(request.id, 'approved', 'tech.martin', 'ok')).toBe('ok');

		expect(await resumer.sweep()).toBe(0);
		expect(await resumer.sweep()).toBe(0);
		expect(await isWaiting(request.id)).toBe(true);
		expect(logger.lines.filter((line) => line.startsWith('warn Cannot reach n8n to resume, will retry') && line.includes(request.id))).toHaveLength(2);

		// n8n is back, on the same address.
		const calls: ResumeCall[] = [];
		const back = await listen(
			http.createServer((req, res) => {
				const chunks: Buffer[] = [];
				req.on('data', (chunk: Buffer) => chunks.push(chunk));
				req.on('end', () => {
					calls.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
					res.writeHead(200).end();
				});
			}),
			port,
			calls,
		);
		try {
			expect(await resumer.sweep()).toBe(1);
			expect(calls).toEqual([{ path, contentType: 'application/json', body: { approvalId: request.id } }]);
			expect(await isWaiting(request.id)).toBe(false);
		} finally {
			await back.close();
		}
	});

	it('retries while n8n answers 500, and stops once it answers', async () => {
		const path = '/webhook-waiting/5150';
		answers.set(path, (nth) => (nth < 2 ? 500 : 200));
		const request = await gateRequest(`${n8n.base}${path}`);
		expect(await safeguard.approvals.decide(request.id, 'approved', 'tech.martin', 'ok')).toBe('ok');

		expect(await resumer.sweep()).toBe(0);
		expect(await isWaiting(request.id)).toBe(true);
		expect(await resumer.sweep()).toBe(0);
		expect(await isWaiting(request.id)).toBe(true);
		expect(logger.lines.filter((line) => line.startsWith('warn n8n did not accept the resume call') && line.includes(request.id))).toHaveLength(2);

		expect(await resumer.sweep()).toBe(1);
		expect(await isWaiting(request.id)).toBe(false);
		expect(n8n.callsTo(path)).toHaveLength(3);
		expect(await resumer.sweep()).toBe(0);
		expect(n8n.callsTo(path)).toHaveLength(3);
	});

	it('drops an execution n8n no longer waits for (409) without calling again', async () => {
		const path = '/webhook-waiting/5160';
		answers.set(path, () => 409);
		const request = await gateRequest(`${n8n.base}${path}`);
		expect(await safeguard.approvals.decide(request.id, 'approved', 'tech.martin', 'ok')).toBe('ok');

		await resumer.sweep();
		expect(n8n.callsTo(path)).toHaveLength(1);
		expect(await isWaiting(request.id)).toBe(false);
		expect(logger.lines.some((line) => line.startsWith('warn n8n execution no longer waiting') && line.includes(request.id) && line.includes('"httpStatus":409'))).toBe(true);

		await resumer.sweep();
		expect(n8n.callsTo(path)).toHaveLength(1);
	});
});
