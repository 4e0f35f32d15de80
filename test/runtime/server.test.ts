import { createHash } from 'node:crypto';

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

import { catalogue } from '../../core/catalogue';
import { Coordination } from '../../core/redis/coordination';
import { Approvals, type ApprovalRequest, type Requester } from '../../core/safeguard/approvals';
import { AuditLog } from '../../core/safeguard/audit';
import { canonicalJson } from '../../core/safeguard/canonical';
import { loadConfig, type RuntimeConfig } from '../../runtime/config';
import { buildServer } from '../../runtime/server';
import { expireNow } from '../safeguard/support';
import { connectTest, dropPrefix, spawnRedis } from '../support/redis';

// light-my-request (behind app.inject) requires `cookie` 2, an ES module that jest's CommonJS loader
// cannot load without --experimental-vm-modules. It only uses it to send request cookies, which
// these tests never do: a stand-in is enough.
jest.mock('../../node_modules/light-my-request/node_modules/cookie/dist/index.js', () => ({
	stringifySetCookie: () => {
		throw new Error('cookies are not supported in these tests');
	},
}));

const TECH = 'tech-key-aaaaaaaaaaaaaaaaaaaaaaaa';
const TECH2 = 'tech-key-cccccccccccccccccccccccc';
const AGENT = 'agent-key-bbbbbbbbbbbbbbbbbbbbbbbb';
const SECRET = 'Sup3r-S3cret-P@ssw0rd-42!';

describe('runtime server (real Redis)', () => {
	let coordination: Coordination;
	let config: RuntimeConfig;
	let app: FastifyInstance;
	let approvals: Approvals;
	let audit: AuditLog;
	/** Every answer of the approval API and page, to check that no secret ever leaves. */
	const answers: string[] = [];

	const reset = catalogue.get('ad.reset_password');
	const createSecret = catalogue.get('mysecret.create_secret');
	const requester: Requester = { face: 'mcp', agent: 'assist', workflow: 'Assist', execution: '4812' };

	async function call(method: 'GET' | 'POST', url: string, key?: string, payload?: unknown): Promise<LightMyRequestResponse> {
		const headers: Record<string, string> = {};
		if (key !== undefined) headers.authorization = `Bearer ${key}`;
		const response = await app.inject({ method, url, headers, payload: payload as never });
		answers.push(JSON.stringify(response.headers) + response.body);
		return response;
	}

	async function pending(extra: Partial<Parameters<Approvals['request']>[0]> = {}): Promise<ApprovalRequest> {
		return await approvals.request({
			operation: reset,
			args: { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true },
			requester,
			reason: 'Mot de passe oublié',
			confidence: 92,
			...extra,
		});
	}

	beforeAll(async () => {
		coordination = await connectTest('runtime');
		config = loadConfig({
			WIDIP_ENV: 'production',
			WIDIP_TECHNICIAN_KEYS: `tech.martin:${TECH},tech.durand:${TECH2}`,
			WIDIP_AGENT_KEYS: `assist:${AGENT}`,
			WIDIP_SAFEGUARD_SECRET: 'server-test-safeguard-key-0123456789abcdef',
		});
		approvals = new Approvals(coordination.redis, coordination.config.keyPrefix);
		audit = new AuditLog(coordination.redis, coordination.config.keyPrefix);
		app = buildServer(config, { coordination });
		await app.ready();
	});
	afterAll(async () => {
		await app.close();
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('GET /health answers 200 {status: ok} when Redis answers', async () => {
		const response = await call('GET', '/health');
		expect(response.statusCode).toBe(200);
		expect(response.json()).toEqual({ status: 'ok' });
	});

	it('GET /health answers 503 when Redis is down, and the approval API 503 too', async () => {
		const redis = await spawnRedis();
		const down = await Coordination.connect({ host: '127.0.0.1', port: redis.port, keyPrefix: 'widiptest:down:', timeoutMs: 500 });
		const downApp = buildServer(config, { coordination: down });
		let stopped = false;
		try {
			expect((await downApp.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
			await redis.stop();
			stopped = true;
			const health = await downApp.inject({ method: 'GET', url: '/health' });
			expect(health.statusCode).toBe(503);
			expect(health.json()).toMatchObject({ status: 'unavailable' });
			const list = await downApp.inject({ method: 'GET', url: '/api/approvals', headers: { authorization: `Bearer ${TECH}` } });
			expect(list.statusCode).toBe(503);
			expect(list.json().message).not.toMatch(/at .*\.ts/); // no stack
		} finally {
			await downApp.close();
			await down.close();
			// spawnRedis's stop() waits for an 'exit' already seen after SIGKILL: call it once only.
			if (!stopped) await redis.stop();
		}
	});

	describe('technician key', () => {
		it('refuses a missing key with 401', async () => {
			const response = await call('GET', '/api/approvals');
			expect(response.statusCode).toBe(401);
			expect(response.json().message).toMatch(/technician key is required/);
		});

		it('refuses a malformed Authorization header with 401', async () => {
			const response = await app.inject({ method: 'GET', url: '/api/approvals', headers: { authorization: `Basic ${TECH}` } });
			expect(response.statusCode).toBe(401);
		});

		it('refuses a wrong key with 401 (also one of a different length)', async () => {
			expect((await call('GET', '/api/approvals', 'tech-key-aaaaaaaaaaaaaaaaaaaaaaab')).statusCode).toBe(401);
			expect((await call('GET', '/api/approvals', 'x')).statusCode).toBe(401);
		});

		it('refuses an agent key with 403 on every technician route', async () => {
			const request = await pending();
			expect((await call('GET', '/api/approvals', AGENT)).statusCode).toBe(403);
			expect((await call('GET', `/api/approvals/${request.id}`, AGENT)).statusCode).toBe(403);
			const approve = await call('POST', `/api/approvals/${request.id}/approve`, AGENT, { comment: 'self-approval' });
			expect(approve.statusCode).toBe(403);
			expect(approve.json().message).toMatch(/agent keys cannot/);
			expect((await call('POST', `/api/approvals/${request.id}/reject`, AGENT, { comment: 'x' })).statusCode).toBe(403);
			expect((await approvals.get(request.id))!.status).toBe('pending');
		});
	});

	it('lists pending requests newest first, and shows one', async () => {
		const first = await pending({ reason: 'first' });
		await new Promise((resolve) => setTimeout(resolve, 5));
		const second = await pending({ reason: 'second' });
		const response = await call('GET', '/api/approvals', TECH);
		expect(response.statusCode).toBe(200);
		const ids = (response.json().requests as ApprovalRequest[]).map((r) => r.id);
		expect(ids.indexOf(second.id)).toBeGreaterThanOrEqual(0);
		expect(ids.indexOf(second.id)).toBeLessThan(ids.indexOf(first.id));
		expect(response.json().requests.every((r: ApprovalRequest) => r.status === 'pending')).toBe(true);

		const show = await call('GET', `/api/approvals/${first.id}`, TECH);
		expect(show.statusCode).toBe(200);
		expect(show.json()).toMatchObject({ id: first.id, operationId: 'ad.reset_password', reason: 'first', requester, confidence: 92, status: 'pending' });
		expect(show.headers['cache-control']).toBe('no-store');

		expect((await call('GET', '/api/approvals/AAAAAAAAAAAAAAAAAAAAAA', TECH)).statusCode).toBe(404);
		expect((await call('GET', '/api/approvals/..%2F..%2Fetc', TECH)).statusCode).toBe(404);
	});

	it('approves with the technician name, records the audit entry, then drops it from the pending list', async () => {
		const request = await pending();
		const response = await call('POST', `/api/approvals/${request.id}/approve`, TECH2, { comment: 'appel vérifié' });
		expect(response.statusCode).toBe(200);
		expect(response.json()).toMatchObject({ id: request.id, status: 'approved', approver: 'tech.durand', comment: 'appel vérifié' });
		expect(response.json().decidedAt).toEqual(expect.any(String));

		const entries: any[] = [];
		for await (const line of audit.exportJsonLines()) entries.push(JSON.parse(line));
		expect(entries).toContainEqual(
			expect.objectContaining({ event: 'approval', outcome: 'approved', actor: 'tech.durand', approvalId: request.id, operationId: 'ad.reset_password', detail: { comment: 'appel vérifié' } }),
		);

		const list = await call('GET', '/api/approvals', TECH);
		expect((list.json().requests as ApprovalRequest[]).map((r) => r.id)).not.toContain(request.id);
		const all = await call('GET', '/api/approvals?status=all', TECH);
		expect((all.json().requests as ApprovalRequest[]).map((r) => r.id)).toContain(request.id);

		// The approval is then consumable once for the exact arguments (the Safeguard contract).
		expect(await approvals.consume(request.id, 'ad.reset_password', { sAMAccountName: 'm.dubois', mustChangeAtNextLogon: true }, requester)).toBe('ok');
	});

	it('approves without a comment (optional) and without a body', async () => {
		const request = await pending();
		const response = await call('POST', `/api/approvals/${request.id}/approve`, TECH);
		expect(response.statusCode).toBe(200);
		expect(response.json()).toMatchObject({ status: 'approved', approver: 'tech.martin' });
	});

	it('rejects only with a comment (400 without), and records who rejected and why', async () => {
		const request = await pending();
		const missing = await call('POST', `/api/approvals/${request.id}/reject`, TECH, {});
		expect(missing.statusCode).toBe(400);
		expect(missing.json().message).toMatch(/rejection needs a comment/);
		expect((await call('POST', `/api/approvals/${request.id}/reject`, TECH, { comment: '   ' })).statusCode).toBe(400);
		expect((await call('POST', `/api/approvals/${request.id}/reject`, TECH, { comment: 42 })).statusCode).toBe(400);
		expect((await approvals.get(request.id))!.status).toBe('pending');

		const response = await call('POST', `/api/approvals/${request.id}/reject`, TECH, { comment: 'pas de ticket associé' });
		expect(response.statusCode).toBe(200);
		expect(response.json()).toMatchObject({ status: 'rejected', approver: 'tech.martin', comment: 'pas de ticket associé' });
		const entries: any[] = [];
		for await (const line of audit.exportJsonLines()) entries.push(JSON.parse(line));
		expect(entries).toContainEqual(expect.objectContaining({ event: 'rejection', actor: 'tech.martin', approvalId: request.id, detail: { comment: 'pas de ticket associé' } }));
	});

	it('a decided request cannot be decided again (409, says by whom)', async () => {
		const request = await pending();
		await call('POST', `/api/approvals/${request.id}/reject`, TECH, { comment: 'non' });
		const again = await call('POST', `/api/approvals/${request.id}/approve`, TECH2, {});
		expect(again.statusCode).toBe(409);
		expect(again.json().message).toMatch(/already rejected \(by tech.martin\)/);
		expect((await call('POST', '/api/approvals/AAAAAAAAAAAAAAAAAAAAAA/approve', TECH, {})).statusCode).toBe(404);
	});

	it('approving an expired request answers 409 with a clear message', async () => {
		const request = await pending();
		await expireNow(coordination.redis, approvals, request.id);
		const response = await call('POST', `/api/approvals/${request.id}/approve`, TECH, { comment: 'ok' });
		expect(response.statusCode).toBe(409);
		expect(response.json()).toMatchObject({ error: 'expired' });
		expect(response.json().message).toMatch(/expired at .* and can no longer be approved; the agent must ask again/);
		expect((await approvals.get(request.id))!.status).toBe('expired');
		// Not listed as pending.
		const list = await call('GET', '/api/approvals', TECH);
		expect((list.json().requests as ApprovalRequest[]).map((r) => r.id)).not.toContain(request.id);
	});

	it('never answers a secret: a mysecret.create_secret payload stays redacted everywhere', async () => {
		const request = await approvals.request({
			operation: createSecret,
			args: { payload: SECRET, expireAfterDays: 1, expireAfterViews: 1 },
			requester,
			reason: 'Envoyer le nouveau mot de passe',
			confidence: 88,
		});
		const listed = await call('GET', '/api/approvals', TECH);
		expect(listed.body).toContain(request.id);
		const shown = await call('GET', `/api/approvals/${request.id}`, TECH);
		expect(shown.json().arguments).toEqual({ payload: '[redacted]', expireAfterDays: 1, expireAfterViews: 1 });
		await call('POST', `/api/approvals/${request.id}/approve`, TECH, { comment: 'ok' });
		await call('GET', '/approvals');
		await call('GET', '/health');
		await call('GET', '/api/approvals?status=all', AGENT);

		expect(answers.length).toBeGreaterThan(20);
		// A dictionary against a digest finds nothing: the API shows no digest of the arguments at all.
		const dictionary = ['Bonjour2026!', 'Password1!', 'Azerty123!', 'Widip-2026', 'Soleil!42', SECRET];
		const unkeyed = dictionary.map((word) =>
			createHash('sha256').update(`mysecret.create_secret\n${canonicalJson({ expireAfterDays: 1, expireAfterViews: 1, payload: word })}`).digest('hex'),
		);
		for (const answer of answers) {
			expect(answer).not.toMatch(/[0-9a-f]{64}/);
			for (const digest of unkeyed) expect(answer).not.toContain(digest);
			expect(answer).not.toContain(SECRET);
			expect(answer).not.toContain(TECH);
			expect(answer).not.toContain(TECH2);
			expect(answer).not.toContain(AGENT);
		}
	});

	it('pages the list and filters it: 205 requests of one agent do not hide another one', async () => {
		const flood: Requester = { face: 'mcp', agent: 'flood' };
		for (let i = 0; i < 205; i++) await pending({ requester: flood, reason: `flood ${i}`, maxPending: 1000 });
		const real = await pending({ requester: { face: 'tool', workflow: 'Assist', node: 'AD' }, reason: 'the real one' });
		for (let i = 0; i < 5; i++) await pending({ requester: flood, reason: `late flood ${i}`, maxPending: 1000 });

		const seen: string[] = [];
		let cursor: string | null = '';
		let pages = 0;
		while (cursor !== null) {
			const page = await call('GET', `/api/approvals?limit=50${cursor ? `&cursor=${cursor}` : ''}`, TECH);
			expect(page.statusCode).toBe(200);
			const body = page.json() as { requests: ApprovalRequest[]; next: string | null };
			seen.push(...body.requests.map((r) => r.id));
			cursor = body.next;
			pages++;
		}
		expect(seen).toContain(real.id);
		expect(new Set(seen).size).toBe(seen.length);
		expect(pages).toBeGreaterThanOrEqual(5);

		const byFace = (await call('GET', '/api/approvals?face=tool', TECH)).json() as { requests: ApprovalRequest[] };
		expect(byFace.requests.map((r) => r.id)).toEqual([real.id]);
		const byAgent = (await call('GET', '/api/approvals?agent=flood&limit=200', TECH)).json() as { requests: ApprovalRequest[] };
		expect(byAgent.requests).toHaveLength(200);
		const byOperation = (await call('GET', '/api/approvals?operation=glpi.close_ticket', TECH)).json() as { requests: ApprovalRequest[] };
		expect(byOperation.requests).toEqual([]);
		for (const bad of ['limit=0', 'limit=201', 'limit=abc', 'status=nope', 'face=cli', 'cursor=../../x']) {
			const response = await call('GET', `/api/approvals?${bad}`, TECH);
			expect(response.statusCode).toBe(400);
			expect(response.json().message).toMatch(/^(limit|status|face|cursor):/);
		}
	});

	it('one corrupt record never breaks the list', async () => {
		const good = await pending({ reason: 'still listed' });
		const broken = await pending({ reason: 'to be corrupted' });
		await coordination.redis.hset(approvals.key(broken.id), 'arguments', '{not json', 'expiresAtMs', 'NaN');
		const nan = await pending({ reason: 'NaN expiry' });
		await coordination.redis.hset(approvals.key(nan.id), 'expiresAtMs', 'abc');
		const list = await call('GET', '/api/approvals?limit=200', TECH);
		expect(list.statusCode).toBe(200);
		const body = list.json() as { requests: ApprovalRequest[]; skipped: number };
		expect(body.requests.map((r) => r.id)).toContain(good.id);
		expect(body.requests.map((r) => r.id)).not.toContain(broken.id);
		expect(body.skipped).toBeGreaterThanOrEqual(2);
		expect((await call('GET', `/api/approvals/${broken.id}`, TECH)).statusCode).toBe(404);
	});

	it('approve re-checks that the operation is approvable: a request turned L4 in Redis is refused', async () => {
		const request = await pending({ reason: 'tampered' });
		await coordination.redis.hset(approvals.key(request.id), 'operationId', 'ad.delete_user');
		const response = await call('POST', `/api/approvals/${request.id}/approve`, TECH, { comment: 'ok' });
		expect(response.statusCode).toBe(409);
		expect(response.json().message).toMatch(/ad.delete_user is not approvable: L4/);
		expect(await coordination.redis.hget(approvals.key(request.id), 'status')).toBe('pending');
	});

	describe('approval page', () => {
		it('is served as self-contained HTML with a strict CSP', async () => {
			const response = await call('GET', '/approvals');
			expect(response.statusCode).toBe(200);
			expect(response.headers['content-type']).toMatch(/^text\/html/);
			const csp = String(response.headers['content-security-policy']);
			expect(csp).toMatch(/default-src 'none'/);
			expect(csp).toMatch(/script-src 'sha256-/);
			expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
			expect(response.body).toMatch(/sessionStorage/);
			expect(response.body).toMatch(/Approuver/);
			expect(response.body).toMatch(/Refuser/);
			// No external assets.
			expect(response.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
		});

		it('renders a hostile reason as text: the page has no HTML sink and the API answers JSON', async () => {
			const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
			const request = await pending({ reason: hostile, requester: { face: 'mcp', agent: '<b>evil</b>' } });
			const page = await call('GET', '/approvals');
			// Values are written with textContent only: no innerHTML / outerHTML / document.write / insertAdjacentHTML.
			expect(page.body).not.toMatch(/innerHTML|outerHTML|document\.write|insertAdjacentHTML/);
			expect(page.body).toMatch(/textContent/);
			expect(page.body).not.toContain(hostile);
			const shown = await call('GET', `/api/approvals/${request.id}`, TECH);
			expect(shown.headers['content-type']).toMatch(/^application\/json/);
			expect(shown.json().reason).toBe(hostile);
		});

		it('renders values through textContent when run in a minimal DOM', async () => {
			const hostile = '<script>alert(1)</script>';
			await pending({ reason: hostile });
			const page = (await call('GET', '/approvals')).body;
			const script = /<script>([\s\S]*)<\/script>/.exec(page)![1];
			const { rendered, htmlWrites } = await runPage(script, async (path) => {
				const response = await call('GET', `/api/approvals${path === '/' ? '' : path}`, TECH);
				return { status: response.statusCode, ok: response.statusCode < 300, json: async () => response.json() };
			});
			expect(htmlWrites).toBe(0);
			expect(rendered).toContain(hostile); // shown as text…
		});
	});
});

/** Runs the page script against a tiny fake DOM that records text, and counts any HTML write. */
async function runPage(script: string, fetchApi: (path: string) => Promise<unknown>): Promise<{ rendered: string[]; htmlWrites: number }> {
	const rendered: string[] = [];
	let htmlWrites = 0;
	class FakeNode {
		children: FakeNode[] = [];
		className = '';
		value = '';
		placeholder = '';
		disabled = false;
		private text = '';
		get firstChild() {
			return this.children[0] ?? null;
		}
		set textContent(value: string) {
			this.text = value;
			rendered.push(value);
		}
		get textContent() {
			return this.text;
		}
		set innerHTML(_value: string) {
			htmlWrites++;
		}
		appendChild(child: FakeNode) {
			this.children.push(child);
			return child;
		}
		removeChild(child: FakeNode) {
			this.children = this.children.filter((c) => c !== child);
		}
		addEventListener() {}
		focus() {}
	}
	const nodes = new Map<string, FakeNode>();
	const storage = new Map<string, string>([['widip.technicianKey', TECH]]);
	const sandbox = {
		Node: FakeNode,
		document: {
			getElementById: (id: string) => nodes.get(id) ?? nodes.set(id, new FakeNode()).get(id),
			createElement: () => new FakeNode(),
			write: () => htmlWrites++,
		},
		sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v), removeItem: (k: string) => storage.delete(k) },
		fetch: (url: string) => fetchApi(url.replace('/api/approvals', '')),
		setInterval: () => 0,
		encodeURIComponent,
		JSON,
		Date,
	};
	const { runInNewContext } = await import('node:vm');
	runInNewContext(script, sandbox);
	await new Promise((resolve) => setTimeout(resolve, 200));
	return { rendered, htmlWrites };
}
