import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import type { Requester } from '../../core/safeguard/approvals';
import { DEFAULT_POLICY } from '../../core/safeguard/decision';
import { Safeguard } from '../../core/safeguard/guard';
import { LlmMutex } from '../../nodes/LlmMutex/LlmMutex.node';
import { RedisHelper } from '../../nodes/RedisHelper/RedisHelper.node';
import { fakeExecuteContext } from '../support/n8n-context';
import { connectTest, dropPrefix } from '../support/redis';

const SECRET = 'escalation-test-safeguard-key-0123456789';

/**
 * The escalation a reviewer ran against wave 1, replayed through the AI-tool variants on real
 * Redis: an agent holding the Redis Helper tool tries to lower Safeguard's policy, erase the
 * audit, empty the pending list, forge the GPU mutex holder and break the approval list. Every
 * step must fail at once, change nothing, and leave an audit record of the refusal.
 */
describe('an agent cannot widen its own rights through the Redis Helper tool (real Redis)', () => {
	let coordination: Coordination;
	let safeguard: Safeguard;
	let credentials: Record<string, IDataObject>;
	const requester: Requester = { face: 'mcp', agent: 'assist' };

	beforeAll(async () => {
		coordination = await connectTest('escalation');
		const connection = { host: coordination.config.host, port: coordination.config.port, keyPrefix: coordination.config.keyPrefix, timeoutMs: 3000 };
		credentials = { widipRedisApi: connection, widipSafeguardApi: { ...connection, safeguardSecret: SECRET } };
		safeguard = new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue, SECRET);
		await safeguard.policy.publish(DEFAULT_POLICY);
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	async function asTool(node: RedisHelper | LlmMutex, type: string, params: IDataObject): Promise<IDataObject> {
		const [items] = (await node.execute.call(
			fakeExecuteContext({
				type,
				name: 'Agent Redis tool',
				credentialsByType: credentials,
				params: [{ safeguardConfidence: '99', safeguardReason: 'maintenance', ...params }],
			}),
		)) as INodeExecutionData[][];
		return items[0].json;
	}

	async function platformState(): Promise<string> {
		const prefix = coordination.config.keyPrefix;
		const keys = (await coordination.redis.keys(`${prefix}*`)).filter((key) => !key.startsWith(`${prefix}cache:`) && !key.endsWith('safeguard:audit')).sort();
		const values = await Promise.all(keys.map(async (key) => [key, await coordination.redis.dump(key)]));
		return JSON.stringify(values);
	}

	it('every step of the chain is refused before Redis is touched, and the audit says so', async () => {
		// A pending request of another agent, which the chain would try to hide.
		const other = await safeguard.authorize('ad.reset_password', { sAMAccountName: 'm.dubois' }, { reason: 'real request', requester });
		expect(other.status).toBe('approval_required');
		const before = await platformState();
		const auditBefore = await coordination.redis.xlen(safeguard.audit.key);

		const lowered = JSON.stringify({ l1MinConfidence: 0, levels: { 'ad.reset_password': 0, 'ad.delete_user': 3 } });
		const steps: IDataObject[] = [
			{ operation: 'redis.set', key: 'safeguard:policy', value: lowered, ttlSeconds: 0 },
			{ operation: 'redis.set', key: 'SAFEGUARD:policy', value: lowered, ttlSeconds: 0 },
			{ operation: 'redis.delete', key: 'safeguard:audit' },
			{ operation: 'redis.delete', key: 'safeguard:approvals' },
			{ operation: 'redis.set', key: 'safeguard:approvals', value: 'x', ttlSeconds: 0 },
			{ operation: 'redis.set', key: 'lock:{gpu}', value: 'forged-token 999999', ttlSeconds: 0 },
			{ operation: 'redis.set_if_not_exists', key: 'gpu:{gpu0}:slots', value: 'x', ttlSeconds: 0 },
			{ operation: 'redis.set', key: 'health:glpi:status', value: 'ok', ttlSeconds: 60 },
		];
		for (const step of steps) {
			const answer = await asTool(new RedisHelper(), 'n8n-nodes-widip.redisHelperTool', step);
			expect(answer).toMatchObject({ status: 'invalid' });
			expect(String(answer.message)).toMatch(new RegExp(`key: "${String(step.key).replace(/[{}]/g, '\\$&')}" is reserved for the WIDIP platform`));
		}
		// Reads (L0, not audited) are refused as well, as a tool error naming the field.
		await expect(asTool(new RedisHelper(), 'n8n-nodes-widip.redisHelperTool', { operation: 'redis.get', key: 'safeguard:policy' })).rejects.toThrow(
			/key: "safeguard:policy" is reserved for the WIDIP platform/,
		);
		// The mutex tool cannot address another namespace either.
		const mutex = await asTool(new LlmMutex(), 'n8n-nodes-widip.llmMutexTool', { operation: 'redis.mutex_release', lockName: 'gpu}:x', token: 'x' });
		expect(mutex).toMatchObject({ status: 'invalid' });

		expect(await platformState()).toBe(before);
		const refusals = (await coordination.redis.xrange(safeguard.audit.key, '-', '+')).slice(auditBefore).map(([, fields]) => fields.join(' '));
		// One refusal per write the agent tried, plus the mutex one.
		expect(refusals.filter((entry) => /outcome refused:invalid_arguments/.test(entry))).toHaveLength(steps.length + 1);

		// The policy still holds: a reset still needs a technician, a delete is still forbidden.
		expect((await safeguard.authorize('ad.reset_password', { sAMAccountName: 'j.petit' }, { reason: 'r', confidence: 100, requester })).status).toBe('approval_required');
		expect((await safeguard.authorize('ad.delete_user', { sAMAccountName: 'j.petit' }, { reason: 'r', requester })).status).toBe('forbidden');
		const list = await safeguard.approvals.list({ status: 'pending' });
		expect(list.requests.map((r) => r.reason)).toContain('real request');
	});

	it('an ordinary cache key still works through the tool, inside the cache namespace', async () => {
		expect(await asTool(new RedisHelper(), 'n8n-nodes-widip.redisHelperTool', { operation: 'redis.set', key: 'diag:router-12', value: 'ok', ttlSeconds: 60 })).toMatchObject({
			success: true,
		});
		expect(await coordination.redis.get(`${coordination.config.keyPrefix}cache:diag:router-12`)).toBe('ok');
	});
});
