import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { catalogue } from '../../core/catalogue';
import type { IncidentAlert } from '../../core/incident/alert';
import { WidipError } from '../../core/errors';
import { ACL_AGENT_USER, ACL_PLATFORM_USER, aclFileLines, aclRules } from '../../core/redis/acl';
import { Coordination } from '../../core/redis/coordination';
import type { Requester } from '../../core/safeguard/approvals';
import { AuditLog } from '../../core/safeguard/audit';
import { DEFAULT_POLICY } from '../../core/safeguard/decision';
import { Safeguard } from '../../core/safeguard/guard';
import { redisConfigFromCredentials } from '../../nodes/shared/redis-connection';
import { RedisSlots } from '../../runtime/gpu/slots';
import { spawnRedis, type SpawnedRedis } from '../support/redis';

/**
 * The documented least-privilege users on a private, real redis-server started with exactly the
 * aclfile lines of core/redis/acl.ts: the agent user runs every Redis Helper and LLM Mutex operation
 * and nothing of the platform; the platform user runs the platform's code.
 */
const PREFIX = 'widip:';
const passwords = { agent: 'Agent-acl-Pa55word', platform: 'Platform-acl-Pa55word' };
const ADMIN_PASSWORD = 'Admin-acl-Pa55word';
/** Redis 7.0 words a script's refused key as ERR; 7.2+ as NOPERM. */
const NOPERM = /^NOPERM |^ERR The user executing the script can't access/;


/** A normalised Observium alert of one device of the ACL test's site. */
function incidentAlert(hostname: string, state: 'ALERT' | 'RECOVER' = 'ALERT'): IncidentAlert {
	return { alertId: hostname.length, state, unixTime: Math.floor(Date.now() / 1000) - 1, message: 'up/down', device: { hostname, location: 'EHPAD Acl' }, entity: { type: 'device', id: 1, name: hostname } };
}

describe('Redis ACL users (private redis-server)', () => {
	let server: SpawnedRedis;
	let dir: string;
	let admin: Coordination;
	const open: Coordination[] = [];

	/** Goes through the node's credential → config path, as n8n does. */
	async function connectAs(user: string, password: string, extra: Record<string, unknown> = {}): Promise<Coordination> {
		const coordination = await Coordination.connect(
			redisConfigFromCredentials({ host: '127.0.0.1', port: server.port, username: user, password, keyPrefix: PREFIX, timeoutMs: 3000, ...extra }),
		);
		open.push(coordination);
		return coordination;
	}

	beforeAll(async () => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'widip-acl-'));
		const aclfile = path.join(dir, 'users.acl');
		writeFileSync(aclfile, [`user default on >${ADMIN_PASSWORD} ~* &* +@all`, ...aclFileLines(PREFIX, passwords), ''].join('\n'));
		// DEBUG enabled for local connections, so that it is the ACL that refuses it below
		server = await spawnRedis(['--aclfile', aclfile, '--enable-debug-command', 'local']);
		admin = await Coordination.connect({ host: '127.0.0.1', port: server.port, password: ADMIN_PASSWORD, keyPrefix: PREFIX, timeoutMs: 3000 });
		await admin.redis.set(`${PREFIX}safeguard:policy`, '{"levels":{}}');
		await admin.redis.xadd(`${PREFIX}safeguard:audit`, '*', 'event', 'policy');
		await admin.redis.zadd(`${PREFIX}safeguard:approvals`, Date.now(), 'approval-1');
	});

	afterAll(async () => {
		for (const coordination of open) await coordination.close();
		await admin?.close();
		await server?.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	it('docs/redis-acl.md shows exactly the ACL SETUSER and aclfile lines for the prefix widip:', () => {
		const docs = readFileSync(path.join(__dirname, '../../docs/redis-acl.md'), 'utf8');
		expect(docs).toContain(['```', ...aclRules('widip:'), '```'].join('\n'));
		expect(docs).toContain(['```', ...aclFileLines('widip:'), '```'].join('\n'));
		expect(aclRules('widip:')[0]).toBe(
			'ACL SETUSER widip-agent reset on ><agent-password> ~widip:cache:* ~widip:lock:* resetchannels &widip:lock:* -@all ' +
				'+hello +client|setname +info +select +ping +quit +get +set +del +evalsha +eval +subscribe +publish ' +
				'+lrange +rpush +lpop +lindex +lrem +hset +hget +hdel +incr +pexpire +pttl +time',
		);
	});

	it('the ACL SETUSER lines make exactly the users of the aclfile', async () => {
		const list = async () => ((await admin.redis.call('ACL', 'LIST')) as string[]).filter((line) => / widip-/.test(line));
		const fromFile = await list();
		expect(fromFile).toHaveLength(2);
		await admin.redis.call('ACL', 'DELUSER', ACL_AGENT_USER, ACL_PLATFORM_USER);
		for (const line of aclRules(PREFIX, passwords)) {
			const [command, ...args] = line.split(' ');
			expect(await admin.redis.call(command, ...args)).toBe('OK');
		}
		expect(await list()).toEqual(fromFile);
	});

	describe(`${ACL_AGENT_USER} (the credential of the nodes agents use)`, () => {
		let agent: Coordination;
		let other: Coordination;

		beforeAll(async () => {
			agent = await connectAs(ACL_AGENT_USER, passwords.agent);
			other = await connectAs(ACL_AGENT_USER, passwords.agent);
		});

		it('connects without ioredis falling back (INFO ready check allowed) and passes the credential test (PING)', async () => {
			const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
			try {
				const fresh = await connectAs(ACL_AGENT_USER, passwords.agent, { database: 1 });
				await fresh.ping();
				await catalogue.run('redis.set', { key: 'in-db-1', value: 'x' }, { redis: fresh });
				expect(warn).not.toHaveBeenCalled();
			} finally {
				warn.mockRestore();
			}
		});

		it('runs every Redis Helper operation', async () => {
			const clients = { redis: agent };
			expect(await catalogue.run('redis.set', { key: 'site', value: '{"id":7}', ttlSeconds: 60 }, clients)).toMatchObject({ success: true });
			expect(await catalogue.run('redis.set', { key: 'forever', value: 'v' }, clients)).toMatchObject({ success: true });
			expect(await catalogue.run('redis.get', { key: 'site', parseJson: true }, clients)).toEqual({ success: true, value: { id: 7 }, exists: true });
			expect(await catalogue.run('redis.get', { key: 'absent' }, clients)).toEqual({ success: true, value: null, exists: false });
			expect(await catalogue.run('redis.set_if_not_exists', { key: 'once', value: 'a', ttlSeconds: 30 }, clients)).toMatchObject({ success: true });
			expect(await catalogue.run('redis.set_if_not_exists', { key: 'once', value: 'b' }, clients)).toMatchObject({ success: false });
			expect(await catalogue.run('redis.delete', { key: 'once' }, clients)).toMatchObject({ deleted: true });
			expect(await catalogue.run('redis.delete', { key: 'once' }, clients)).toMatchObject({ deleted: false });
			expect(await admin.redis.get(`${PREFIX}cache:site`)).toBe('{"id":7}');
			expect(await admin.redis.ttl(`${PREFIX}cache:site`)).toBeGreaterThan(50);
		});

		it('runs LLM Mutex Acquire and Release: immediate, hand-over to a waiter, wait timeout, stale token, expiry', async () => {
			const first = (await catalogue.run('redis.mutex_acquire', { lockName: 'gpu', ttlSeconds: 30, waitTimeoutSeconds: 0 }, { redis: agent })) as {
				acquired: boolean;
				token: string;
				fencingToken: number;
			};
			expect(first.acquired).toBe(true);
			const waiter = catalogue.run('redis.mutex_acquire', { lockName: 'gpu', ttlSeconds: 30, waitTimeoutSeconds: 10 }, { redis: other }) as Promise<{
				acquired: boolean;
				token: string;
				fencingToken: number;
			}>;
			const impatient = await catalogue.run('redis.mutex_acquire', { lockName: 'gpu', ttlSeconds: 30, waitTimeoutSeconds: 0.3 }, { redis: agent });
			expect(impatient).toMatchObject({ acquired: false });
			expect(await catalogue.run('redis.mutex_release', { lockName: 'gpu', token: first.token }, { redis: agent })).toMatchObject({ released: true });
			const second = await waiter;
			expect(second).toMatchObject({ acquired: true, fencingToken: first.fencingToken + 1 });
			expect(await catalogue.run('redis.mutex_release', { lockName: 'gpu', token: first.token }, { redis: agent })).toMatchObject({ released: false });
			expect(await catalogue.run('redis.mutex_release', { lockName: 'gpu', token: second.token }, { redis: other })).toMatchObject({ released: true });

			// a holder that never releases: its TTL ends and the waiter gets the lock
			const crashed = await catalogue.run('redis.mutex_acquire', { lockName: 'expiry', ttlSeconds: 1, waitTimeoutSeconds: 0 }, { redis: agent });
			expect(crashed).toMatchObject({ acquired: true });
			const next = (await catalogue.run('redis.mutex_acquire', { lockName: 'expiry', ttlSeconds: 5, waitTimeoutSeconds: 10 }, { redis: other })) as {
				acquired: boolean;
				token: string;
			};
			expect(next.acquired).toBe(true);
			await catalogue.run('redis.mutex_release', { lockName: 'expiry', token: next.token }, { redis: other });
		}, 30_000);

		const denied: Array<[string, string[]]> = [
			['SET', [`${PREFIX}safeguard:policy`, '{"levels":{"ad.create_user":0}}']],
			['GET', [`${PREFIX}safeguard:policy`]],
			['DEL', [`${PREFIX}safeguard:policy`]],
			['GET', [`${PREFIX}safeguard:audit`]],
			['DEL', [`${PREFIX}safeguard:audit`]],
			['XTRIM', [`${PREFIX}safeguard:audit`, 'MAXLEN', '0']],
			['GET', [`${PREFIX}safeguard:approvals`]],
			['DEL', [`${PREFIX}safeguard:approvals`]],
			['SET', [`${PREFIX}safeguard:approvals`, 'broken']],
			['ZREM', [`${PREFIX}safeguard:approvals`, 'approval-1']],
			['SET', [`${PREFIX}gpu:{ollama}:slots`, 'x']],
			['SET', [`${PREFIX}health:glpi:status`, 'ok']],
			['SET', [`${PREFIX}incident:1`, 'x']],
			['HSET', [`${PREFIX}breaker:glpi`, 'state', 'closed']],
			['HGET', [`${PREFIX}breaker:glpi`, 'state']],
			['DEL', [`${PREFIX}breaker:glpi:failures`]],
			['SET', [`${PREFIX}claim:ticket:1`, 'x']],
			['GET', [`${PREFIX}claim:done:1`]],
			['DEL', [`${PREFIX}claim:done:1`]],
			['SET', ['other-tenant:cache:x', 'x']],
			['KEYS', ['*']],
			['SCAN', ['0']],
			['FLUSHALL', []],
			['FLUSHDB', []],
			['CONFIG', ['GET', '*']],
			['ACL', ['LIST']],
			['DEBUG', ['SLEEP', '0']],
			['PUBLISH', [`${PREFIX}safeguard:notice`, 'x']],
			['PUBLISH', [`${PREFIX}gpu:{ollama}:freed`, 'x']],
			// a script runs with the caller's rights, whatever keys it declares
			['EVAL', [`return redis.call('SET', '${PREFIX}safeguard:policy', 'x')`, '1', `${PREFIX}cache:x`]],
			['EVAL', [`return redis.call('DEL', KEYS[1])`, '1', `${PREFIX}safeguard:audit`]],
		];
		it.each(denied)('raw %s %j gets NOPERM', async (command, args) => {
			const error = (await agent.redis.call(command, ...args).catch((e: unknown) => e)) as Error;
			expect(error).toBeInstanceOf(Error);
			expect(error.message).toMatch(NOPERM);
		});

		it('cannot run the breaker or claim code: its scripts touch platform keys', async () => {
			const platformCalls: Array<() => Promise<unknown>> = [
				() => agent.breakers.status('glpi'),
				() => agent.breakers.record('glpi', 'failure'),
				() => agent.claims.claim(1),
				() => agent.incidents.intake(incidentAlert('EHPAD-Acl-RTR01')),
				() => agent.incidents.list('open', 10),
			];
			for (const work of platformCalls) {
				const error = await agent.guard('platform', work).catch((e: unknown) => e);
				expect(error).toMatchObject({ kind: 'auth', message: expect.stringMatching(/lacks permission/) });
			}
			expect(await admin.redis.exists(`${PREFIX}breaker:glpi`, `${PREFIX}claim:ticket:1`)).toBe(0);
		});

		it("a refusal through the nodes' error mapping says the user lacks permission", async () => {
			const error = await agent.guard('redis.set', () => agent.redis.set(`${PREFIX}safeguard:policy`, 'x')).catch((e: unknown) => e);
			expect(error).toBeInstanceOf(WidipError);
			expect(error).toMatchObject({ kind: 'auth', message: `Redis at 127.0.0.1:${server.port} lacks permission for this command` });
		});

		it('left the platform keys as they were', async () => {
			expect(await admin.redis.get(`${PREFIX}safeguard:policy`)).toBe('{"levels":{}}');
			expect(await admin.redis.xlen(`${PREFIX}safeguard:audit`)).toBe(1);
			expect(await admin.redis.zrange(`${PREFIX}safeguard:approvals`, '0', '-1')).toEqual(['approval-1']);
		});
	});

	describe(`${ACL_PLATFORM_USER} (runtime and WIDIP Safeguard credential)`, () => {
		let platform: Coordination;
		let runtime: Coordination;

		beforeAll(async () => {
			platform = await connectAs(ACL_PLATFORM_USER, passwords.platform);
			// as `widip serve` connects: reconnecting, offline queue on
			runtime = await Coordination.connect({
				host: '127.0.0.1',
				port: server.port,
				username: ACL_PLATFORM_USER,
				password: passwords.platform,
				keyPrefix: PREFIX,
				timeoutMs: 3000,
				reconnect: true,
			});
			open.push(runtime);
		});

		it('writes the policy, the audit and the approvals', async () => {
			const policy = `${PREFIX}safeguard:policy`;
			expect(await platform.redis.set(policy, '{"levels":{"redis.set":1}}')).toBe('OK');
			expect(await platform.redis.get(policy)).toBe('{"levels":{"redis.set":1}}');
			expect(await platform.redis.xadd(`${PREFIX}safeguard:audit`, 'MAXLEN', '~', '100000', '*', 'event', 'decision')).toMatch(/^\d+-\d+$/);
			const approval = `${PREFIX}safeguard:approval:abc`;
			const written = await platform.redis
				.multi()
				.hset(approval, { status: 'pending', operationId: 'redis.set' })
				.pexpireat(approval, Date.now() + 60_000)
				.zadd(`${PREFIX}safeguard:approvals`, Date.now(), 'abc')
				.exec();
			expect(written?.every(([error]) => error === null)).toBe(true);
			expect(await platform.redis.hgetall(approval)).toEqual({ status: 'pending', operationId: 'redis.set' });
			expect(await platform.redis.hmget(approval, 'status')).toEqual(['pending']);
			expect(await platform.redis.zrevrangebyscore(`${PREFIX}safeguard:approvals`, '+inf', '-inf')).toEqual(['abc', 'approval-1']);
			expect(await platform.redis.zrem(`${PREFIX}safeguard:approvals`, 'approval-1')).toBe(1);
			expect(await platform.redis.del(approval)).toBe(1);
		});

		it("runs Safeguard's own code: signed policy, requests, quota, decisions, Gate release, consumption, paged list", async () => {
			const secret = 'acl-test-safeguard-secret-0123456789abcdef';
			const safeguard = new Safeguard(platform.redis, PREFIX, catalogue, secret);
			await safeguard.policy.publish(DEFAULT_POLICY);
			expect((await safeguard.policy.readVerified()).source).toBe('signed');
			const tool: Requester = { face: 'tool', workflow: 'acl', node: 'AD' };
			const args = { sAMAccountName: 'm.dubois' };
			const asked = await safeguard.authorize('ad.reset_password', args, { reason: 'acl', requester: tool });
			if (asked.status !== 'approval_required') throw new Error(`expected a request, got ${asked.status}`);
			expect(await safeguard.approvals.decide(asked.approval.id, 'approved', 'tech', '')).toBe('ok');
			expect(await safeguard.authorize('ad.reset_password', args, { reason: 'acl', requester: tool, approvalId: asked.approval.id })).toMatchObject({ status: 'allowed' });
			await safeguard.recordExecution('ad.reset_password', asked.approval.id, 'succeeded', 'done');
			const gate: Requester = { face: 'gate', execution: '1', node: 'Gate' };
			const gated = await safeguard.authorize('ad.reset_password', args, { reason: 'acl', requester: gate, resumeUrl: 'http://127.0.0.1:1/x' });
			if (gated.status !== 'approval_required') throw new Error('expected a request');
			expect(await safeguard.approvals.expire(gated.approval.id)).toBe('pending');
			await safeguard.approvals.decide(gated.approval.id, 'approved', 'tech', '');
			expect(await safeguard.approvals.waiting()).toHaveLength(1);
			expect(await safeguard.approvals.release(gated.approval.id, gate)).toBe('ok');
			expect(await safeguard.approvals.consumeReleased(gated.approval.id, 'ad.reset_password', args, '1')).toBe('ok');
			await safeguard.approvals.resumed(gated.approval.id);
			const page = await safeguard.approvals.list({ status: 'all' });
			expect(page.requests.map((r) => r.id)).toEqual(expect.arrayContaining([asked.approval.id, gated.approval.id]));
			const lines: string[] = [];
			for await (const line of safeguard.audit.exportJsonLines()) lines.push(line);
			expect(lines.length).toBeGreaterThan(4);
		});

		it("runs the platform's code: audit log, notice consumer groups, locks, health flags, cache, GPU slots", async () => {
			const audit = new AuditLog(platform.redis, PREFIX);
			await audit.append({ event: 'decision', operationId: 'redis.set', outcome: 'allowed' });
			const exported: string[] = [];
			for await (const line of audit.exportJsonLines()) exported.push(line);
			expect(exported.length).toBeGreaterThanOrEqual(2);

			await platform.redis.xgroup('CREATE', audit.key, 'notices:test', '0', 'MKSTREAM');
			const read = (await platform.redis.xreadgroup('GROUP', 'notices:test', 'runtime', 'COUNT', 10, 'STREAMS', audit.key, '>')) as unknown[];
			expect(read).toHaveLength(1);
			const [id] = exported.map((line) => JSON.parse(line).id as string);
			expect(await platform.redis.xack(audit.key, 'notices:test', id)).toBe(1);

			const grant = await platform.locks.acquire('gpu', { ttlMs: 5000, waitTimeoutMs: 0 });
			expect(grant).not.toBeNull();
			expect(await platform.locks.release('gpu', grant!.token)).toBe(true);

			await platform.health.set('glpi', 'down');
			expect(await platform.health.get('glpi')).toBe('down');
			expect(await platform.health.claimDownAlert('glpi')).toBe(true);
			await platform.health.set('glpi', 'ok');

			await platform.cache.set('k', 'v', 30);
			expect(await platform.cache.ttl('k')).toBeGreaterThan(0);

			const slots = new RedisSlots(runtime.redis, PREFIX, 'ollama', 1);
			await slots.start();
			try {
				const lease = await slots.tryAcquire();
				expect(lease).not.toBeNull();
				expect(await slots.tryAcquire()).toBeNull();
				await lease!.release();
			} finally {
				await slots.close();
			}
		});

		it('runs the circuit breaker and ticket claims: open, probe, close, status, claim, renew, release, complete', async () => {
			const settings = { failureThreshold: 2, openSeconds: 0.05 };
			const breakers = platform.breakers;
			expect(await breakers.check('glpi', settings)).toMatchObject({ role: 'normal' });
			await breakers.record('glpi', 'failure', settings);
			expect(await breakers.record('glpi', 'failure', settings)).toMatchObject({ transition: 'opened', notifyDown: true });
			expect(await breakers.record('glpi', 'failure', settings)).toMatchObject({ state: 'open', notifyDown: false });
			expect(await breakers.status('glpi')).toMatchObject({ state: 'open', healthy: 'down' });
			await new Promise((resolve) => setTimeout(resolve, 60));
			const probe = await breakers.check('glpi', settings);
			expect(probe.role).toBe('probe');
			expect(await breakers.record('glpi', 'failure', settings, probe.probeToken)).toMatchObject({ transition: 'reopened' });
			await new Promise((resolve) => setTimeout(resolve, 60));
			const next = await breakers.check('glpi', settings);
			expect(await breakers.record('glpi', 'success', settings, next.probeToken)).toMatchObject({ transition: 'closed' });
			expect(await breakers.status('glpi')).toMatchObject({ state: 'closed', healthy: 'ok' });
			expect(await catalogue.run('breaker.status', { service: 'glpi' }, { breaker: platform })).toMatchObject({ state: 'closed' });

			const claim = await platform.claims.claim(7, { owner: 'assist-1' });
			if (!claim.claimed) throw new Error('expected the claim');
			expect(await platform.claims.claim(7)).toMatchObject({ claimed: false, reason: 'held' });
			expect(await platform.claims.renew(7, claim.token, 60)).toBeGreaterThan(0);
			expect(await platform.claims.complete(7, 'a'.repeat(32))).toMatchObject({ completed: false, reason: 'held' });
			expect(await platform.claims.release(7, claim.token)).toBe(true);
			const again = await platform.claims.claim(7);
			if (!again.claimed) throw new Error('expected the claim');
			expect(await platform.claims.complete(7, again.token)).toMatchObject({ completed: true, how: 'completed' });
			expect(await platform.claims.claim(7)).toMatchObject({ claimed: false, reason: 'done' });
		});

		it("runs the incident engine's scripts: intake (new, site join, recovery), diagnosis claim and save, review, get, list", async () => {
			const incidents = platform.incidents;
			const opened = await incidents.intake(incidentAlert('EHPAD-Acl-RTR01'));
			expect(opened).toMatchObject({ decision: 'new' });
			expect(await incidents.intake(incidentAlert('EHPAD-Acl-SW01'))).toMatchObject({ decision: 'update', reason: 'site_device_added' });
			const id = opened.incident!.id;
			expect(await incidents.claimDiagnosis(id)).toMatchObject({ claimed: false, why: 'claimed_by_another' });
			expect(await incidents.saveDiagnosis(id, opened.diagnosisClaim!.token, 'fibre cut')).toMatchObject({ saved: true });
			await incidents.intake(incidentAlert('EHPAD-Acl-SW01', 'RECOVER'));
			expect(await incidents.intake(incidentAlert('EHPAD-Acl-RTR01', 'RECOVER'))).toMatchObject({ decision: 'recovered' });
			expect(await incidents.review()).toMatchObject({ changes: [] });
			expect((await incidents.list('recovered', 10)).map((incident) => incident.id)).toContain(id);
		});

		it.each([
			['FLUSHALL', []],
			['FLUSHDB', []],
			['CONFIG', ['SET', 'appendonly', 'no']],
			['ACL', ['SETUSER', 'intruder', 'on', '>x', '+@all', '~*']],
			['KEYS', ['*']],
			['DEBUG', ['SLEEP', '0']],
			['SHUTDOWN', []],
			['SET', ['other-tenant:safeguard:policy', 'x']],
		] as Array<[string, string[]]>)('raw %s %j gets NOPERM', async (command, args) => {
			const error = (await platform.redis.call(command, ...args).catch((e: unknown) => e)) as Error;
			expect(error).toBeInstanceOf(Error);
			expect(error.message).toMatch(NOPERM);
		});
	});
});
