import type { INodeExecutionData } from 'n8n-workflow';

import { Coordination } from '../../core/redis/coordination';
import { Coordination as CoordinationNode } from '../../nodes/Coordination/Coordination.node';
import { fakeExecuteContext } from '../support/n8n-context';
import { dropPrefix, REDIS_HOST, REDIS_PORT, testPrefix } from '../support/redis';

describe('WIDIP Coordination node (real Redis)', () => {
	const prefix = testPrefix('coordnode');
	const credentials = { host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix, timeoutMs: 2000 };
	let probe: Coordination;

	beforeAll(async () => {
		probe = await Coordination.connect({ host: REDIS_HOST, port: REDIS_PORT, keyPrefix: prefix });
	});
	afterAll(async () => {
		await dropPrefix(probe);
		await probe.close();
	});

	it('declares both resources, the Safeguard credential (required, tested) and its own icon', () => {
		const node = new CoordinationNode();
		const { description } = node;
		expect(description).toMatchObject({ name: 'coordination', displayName: 'WIDIP Coordination', usableAsTool: true });
		expect(description.icon).toEqual({ light: 'file:../../icons/coordination.svg', dark: 'file:../../icons/coordination.dark.svg' });
		expect(description.credentials).toEqual([{ name: 'widipSafeguardApi', required: true, displayName: 'Credential for the Platform Redis (WIDIP Safeguard)', testedBy: 'widipSafeguardConnectionTest' }]);
		expect(typeof node.methods.credentialTest.widipSafeguardConnectionTest).toBe('function');
		const resource = description.properties.find((p) => p.name === 'resource');
		expect(resource?.options?.map((o) => (o as { value: string }).value)).toEqual(['circuit breaker', 'ticket claim']);
	});

	it('runs a workflow: check, record, status, claim, complete, one output per item', async () => {
		const [items] = await new CoordinationNode().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.coordination',
				credentials,
				params: [
					{ operation: 'breaker.check', service: 'glpi', probeTtlSeconds: 30 },
					{ operation: 'breaker.record', service: 'glpi', outcome: 'failure', probeToken: '', failureThreshold: 1, windowSeconds: 60, openSeconds: 30, alertIntervalSeconds: 300, healthTtlSeconds: 120 },
					{ operation: 'breaker.status', service: 'glpi', windowSeconds: 60 },
					{ operation: 'claim.claim_ticket', ticketId: 42, ttlSeconds: 60, additionalFields: { owner: 'assist-1' } },
					{ operation: 'claim.claim_ticket', ticketId: 42, ttlSeconds: 60 },
				],
			}),
		);
		expect(items.map((item: INodeExecutionData) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
		expect(items[0].json).toMatchObject({ allowed: true, role: 'normal' });
		expect(items[1].json).toMatchObject({ transition: 'opened', notifyDown: true });
		expect(items[2].json).toMatchObject({ state: 'open', healthy: 'down' });
		expect(items[3].json).toMatchObject({ claimed: true, owner: 'assist-1' });
		expect(items[4].json).toMatchObject({ claimed: false, reason: 'held', owner: 'assist-1' });
		const [done] = await new CoordinationNode().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.coordination',
				credentials,
				params: [{ operation: 'claim.complete_ticket', ticketId: 42, token: items[3].json.token, keepSeconds: 3600 }],
			}),
		);
		expect(done[0].json).toMatchObject({ completed: true });
		expect(await probe.claims.claim(42)).toMatchObject({ claimed: false, reason: 'done' });
	});

	it('as an AI tool: Status answers; Check, Record and claims are refused as workflow-only, nothing written', async () => {
		const service = 'tooltest';
		const [answers] = await new CoordinationNode().execute.call(
			fakeExecuteContext({
				type: 'n8n-nodes-widip.coordinationTool',
				credentialsByType: { widipSafeguardApi: credentials },
				params: [
					{ operation: 'breaker.status', service, windowSeconds: 60 },
					{ operation: 'breaker.check', service, probeTtlSeconds: 30, safeguardConfidence: '99' },
					{ operation: 'breaker.record', service, outcome: 'failure', failureThreshold: 1, safeguardConfidence: '99' },
					{ operation: 'claim.claim_ticket', ticketId: 43, ttlSeconds: 60, safeguardConfidence: '99' },
				],
			}),
		);
		expect(answers[0].json).toMatchObject({ service, state: 'closed', healthy: 'unknown' });
		for (const [index, id] of [[1, 'breaker.check'], [2, 'breaker.record'], [3, 'claim.claim_ticket']] as const) {
			expect(answers[index].json).toEqual({ status: 'forbidden', message: `${id} is run by workflows only, never by an AI agent. Nothing was done.` });
		}
		expect(await probe.redis.exists(`${prefix}breaker:${service}`, `${prefix}health:${service}:status`, `${prefix}claim:ticket:43`)).toBe(0);
	});
});
