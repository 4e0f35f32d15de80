import { randomUUID } from 'node:crypto';
import path from 'node:path';

import { Coordination } from '../../core/redis/coordination';
import { Approvals, type ApprovalRequest } from '../../core/safeguard/approvals';
import { SafeguardGate } from '../../nodes/SafeguardGate/SafeguardGate.node';
import { serve, type Serving } from '../../runtime/serve';
import { REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';
import { loadWorkflow, N8nHarness } from './harness';

jest.setTimeout(120_000);

const TECH_KEY = 'tech-e2e-key-0123456789abcdefghij';
const AGENT_KEY = 'agent-e2e-key-0123456789abcdefghij';
const SAFEGUARD_KEY = 'gate-e2e-safeguard-key-0123456789abcdef';

/**
 * The Safeguard Gate inside a real `n8n start` (2.41.1, our packed package) with the real runtime:
 * a webhook starts Gate → outcome branches → action; the execution waits for L3 until a technician
 * decides through the runtime API (or the request expires); the runtime resumes it.
 */
describe('Safeguard Gate in real n8n, resumed by the runtime', () => {
	const prefix = testPrefix('gate');
	let probe: Coordination;
	let approvals: Approvals;
	let harness: N8nHarness;
	let runtime: Serving;

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
		approvals = new Approvals(probe.redis, prefix);
		harness = await N8nHarness.create();
		await harness.importCredentials([
			{
				id: 'widipE2eGateRds1',
				name: 'WIDIP Redis (gate e2e)',
				type: 'widipRedisApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: prefix, timeoutMs: 3000 },
			},
			{
				id: 'widipE2eGateSgd1',
				name: 'WIDIP Safeguard (gate e2e)',
				type: 'widipSafeguardApi',
				data: { host: REDIS_HOST, port: REDIS_PORT, database: 0, tls: false, keyPrefix: prefix, timeoutMs: 3000, safeguardSecret: SAFEGUARD_KEY },
			},
		]);
		await harness.importWorkflows([loadWorkflow('safeguard-gate.json')]);
		await harness.publish('widipE2eGate0001');
		await harness.start();
		runtime = await serve(
			{
				WIDIP_ENV: 'production',
				WIDIP_PORT: '0',
				WIDIP_REDIS_HOST: REDIS_HOST,
				WIDIP_REDIS_PORT: String(REDIS_PORT),
				WIDIP_REDIS_PREFIX: prefix,
				WIDIP_TECHNICIAN_KEYS: `tech.martin:${TECH_KEY}`,
				WIDIP_AGENT_KEYS: `assist:${AGENT_KEY}`,
				WIDIP_SAFEGUARD_SECRET: SAFEGUARD_KEY,
			},
			{ quiet: true },
		);
	}, 40 * 60_000);
	afterAll(async () => {
		await runtime?.close();
		await harness?.stop();
		harness?.dispose();
		if (probe) {
			const keys = await probe.redis.keys(`${prefix}*`);
			if (keys.length > 0) await probe.redis.del(...keys);
			await probe.close();
		}
	});

	/** Starts a run; the body may depend on the run id (the Action node's key carries it). */
	async function trigger(given: Record<string, unknown> | ((run: string) => Record<string, unknown>)): Promise<string> {
		const run = randomUUID().slice(0, 8);
		const body = typeof given === 'function' ? given(run) : given;
		// n8n answers /healthz/readiness before it has registered published workflows' webhooks.
		const response = await until('the published webhook', async () => {
			const answer = await fetch(`${harness.baseUrl}/webhook/widip-e2e-gate`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ run, confidence: 90, expiresInMinutes: 60, ...body }),
			});
			return answer.status === 404 ? null : answer;
		});
		expect(response.status).toBe(200);
		return run;
	}

	async function until<T>(what: string, read: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const value = await read();
			if (value !== null && value !== undefined) return value;
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- n8n log ---\n${harness.log().slice(-4000)}`);
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
	}

	const outcome = (run: string) => probe.cache.get(`gate_outcome:${run}`).then((text) => (text ? (JSON.parse(text) as Record<string, unknown>) : null));
	const actionRan = (run: string) => probe.cache.get(`action_ran:${run}`);

	/** The request the Gate made for this run, as the technicians' API lists it. */
	async function pendingRequest(run: string): Promise<ApprovalRequest> {
		return await until(`the approval request of run ${run}`, async () => {
			const response = await fetch(`${runtime.url}/api/approvals`, { headers: { authorization: `Bearer ${TECH_KEY}` } });
			const { requests } = (await response.json()) as { requests: ApprovalRequest[] };
			return requests.find((request) => request.reason === `e2e ${run}`);
		});
	}

	async function decide(id: string, decision: 'approve' | 'reject', comment = ''): Promise<number> {
		const response = await fetch(`${runtime.url}/api/approvals/${id}/${decision}`, {
			method: 'POST',
			headers: { authorization: `Bearer ${TECH_KEY}`, 'content-type': 'application/json' },
			body: JSON.stringify({ comment }),
		});
		return response.status;
	}

	const resetArgs = { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true };

	/** The action the Gate guards in these runs: its own Action node writes exactly this, with the approval. */
	const actionArgs = (run: string) => ({ key: `action_ran:${run}`, value: 'ran', ttlSeconds: 600 });

	/** The request's expiry moved into the past, and the resumer's work list told so, as if the time had passed. */
	async function expireInRedis(id: string, extra: string[] = []): Promise<void> {
		await probe.redis.hset(approvals.key(id), 'expiresAtMs', String(Date.now() - 1), ...extra);
		await probe.redis.zadd(approvals.waitingKey, Date.now() - 1, id);
	}

	it('needs approval: the execution waits; approved through the runtime API it resumes on Approved and the typed node runs the approved action once', async () => {
		// L1 below the confidence threshold needs a person, like L3.
		const run = await trigger((id) => ({ operation: 'redis.set', args: actionArgs(id), confidence: 10 }));
		const request = await pendingRequest(run);
		expect(request).toMatchObject({ operationId: 'redis.set', level: 1, status: 'pending', confidence: 10 });
		expect(request.requester).toMatchObject({ face: 'gate', agent: 'assist-e2e', workflow: 'widipE2eGate0001', node: 'Safeguard Gate' });

		// A forged resume call (the right URL, before any decision) must not move the execution.
		const resumeUrl = await probe.redis.hget(approvals.key(request.id), 'resumeUrl');
		expect(resumeUrl).toMatch(/\/webhook-waiting\/\d+\?signature=/);
		const forged = await fetch(resumeUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ approvalId: request.id }) });
		expect(await forged.json()).toMatchObject({ resumed: false, status: 'pending' });
		await new Promise((resolve) => setTimeout(resolve, 1000));
		expect(await outcome(run)).toBeNull();

		expect(await decide(request.id, 'approve', 'appel vérifié')).toBe(200);
		expect(await until('the approved branch', () => outcome(run))).toEqual({ branch: 'approved', approvalId: request.id, status: 'released' });
		expect(await until('the action', () => actionRan(run))).toBe('ran');
		expect((await approvals.get(request.id))!.status).toBe('executed');
		// A replayed resume call changes nothing: the approval was released once and used once.
		const replay = await fetch(resumeUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ approvalId: request.id }) });
		expect(replay.status).not.toBe(200);
	});

	it('the node after the Gate refuses to run other arguments than the approved ones', async () => {
		const run = await trigger((id) => ({ operation: 'redis.set', args: actionArgs(id), confidence: 10, actionValue: 'something else' }));
		const request = await pendingRequest(run);
		expect(await decide(request.id, 'approve', 'ok')).toBe(200);
		expect(await until('the approved branch', () => outcome(run))).toMatchObject({ branch: 'approved', status: 'released' });
		await until('the refusal in the audit', async () => {
			const entries = await probe.redis.xrange(`${prefix}safeguard:audit`, '-', '+');
			return entries.find(([, fields]) => fields.includes(request.id) && fields.includes('refused:mismatch')) ?? null;
		});
		expect(await actionRan(run)).toBeNull();
		expect((await approvals.get(request.id))!.status).toBe('released');
	});

	it('rejected through the runtime API: the execution resumes on Rejected and the action never runs', async () => {
		const run = await trigger({ operation: 'ad.reset_password', args: resetArgs });
		const request = await pendingRequest(run);
		expect(await decide(request.id, 'reject', 'pas de demande de la personne')).toBe(200);
		expect(await until('the rejected branch', () => outcome(run))).toEqual({ branch: 'rejected', approvalId: request.id, status: 'rejected' });
		await new Promise((resolve) => setTimeout(resolve, 1000));
		expect(await actionRan(run)).toBeNull();
	});

	it('nobody decides before the expiry: the runtime resumes it on Expired and the action never runs', async () => {
		const run = await trigger({ operation: 'ad.reset_password', args: resetArgs, expiresInMinutes: 1 });
		const request = await pendingRequest(run);
		await expireInRedis(request.id);
		expect(await until('the expired branch', () => outcome(run), 20_000)).toEqual({ branch: 'expired', approvalId: request.id, status: 'expired' });
		expect(await decide(request.id, 'approve')).toBe(409); // too late
		expect(await actionRan(run)).toBeNull();
	});

	it('approved, but resumed only after the expiry: it resumes on Expired, never on Approved', async () => {
		const run = await trigger((id) => ({ operation: 'redis.set', args: actionArgs(id), confidence: 10 }));
		const request = await pendingRequest(run);
		// Approved in time, then the runtime could not resume it before the expiry (n8n was down, say).
		await expireInRedis(request.id, ['status', 'approved', 'approver', 'tech.martin']);
		expect(await until('the expired branch', () => outcome(run), 20_000)).toEqual({ branch: 'expired', approvalId: request.id, status: 'expired' });
		expect(await actionRan(run)).toBeNull();
	});

	it('an expiry given by expression outside 1 minute – 7 days stops the Gate with a clear error, and no request is made', async () => {
		for (const expiresInMinutes of ['abc', 1e12, 0.05]) {
			const run = await trigger({ operation: 'ad.reset_password', args: resetArgs, expiresInMinutes });
			await new Promise((resolve) => setTimeout(resolve, 1500));
			expect(await outcome(run)).toBeNull();
			const response = await fetch(`${runtime.url}/api/approvals?status=all&limit=200`, { headers: { authorization: `Bearer ${TECH_KEY}` } });
			expect(response.status).toBe(200);
			const { requests } = (await response.json()) as { requests: ApprovalRequest[] };
			expect(requests.find((r) => r.reason === `e2e ${run}`)).toBeUndefined();
		}
		expect(harness.log()).toMatch(/Expires After \(Minutes\) must be a number from 1 to 10080/);
	});

	it('L0 leaves by Allowed at once and L4 by Forbidden, with no request made', async () => {
		const read = await trigger({ operation: 'ad.check_user', args: { sAMAccountName: 'm.dubois' } });
		expect(await until('the allowed branch', () => outcome(read))).toMatchObject({ branch: 'allowed', status: 'allowed' });
		const destroy = await trigger({ operation: 'ad.delete_user', args: { sAMAccountName: 'm.dubois' } });
		expect(await until('the forbidden branch', () => outcome(destroy))).toMatchObject({ branch: 'forbidden', status: 'forbidden' });
		expect(await actionRan(destroy)).toBeNull();
	});

	it('n8n 2.41 does not turn the Gate into a "human review" tool for its AI Agent (its own rule, applied)', () => {
		// n8n's generator (tool-generation/hitl-tools.js) makes `<name>HitlTool` only for nodes with
		// webhooks and an `operation` option `sendAndWait`; the Gate has webhooks but no such option.
		// eslint-disable-next-line @typescript-eslint/no-require-imports -- n8n's own module, from its cached install
		const { hasSendAndWaitOperation } = require(path.join(harness.n8nDir, 'node_modules/n8n/dist/tool-generation/hitl-tools.js')) as {
			hasSendAndWaitOperation(description: unknown): boolean;
		};
		const gate = new SafeguardGate().description;
		expect(hasSendAndWaitOperation(gate)).toBe(false);
		const withSendAndWait = { ...gate, properties: [...gate.properties, { name: 'operation', type: 'options', options: [{ name: 'Send and Wait', value: 'sendAndWait' }] }] };
		expect(hasSendAndWaitOperation(withSendAndWait)).toBe(true);
	});
});
