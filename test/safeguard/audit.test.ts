import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { AuditLog } from '../../core/safeguard/audit';
import { redactArguments } from '../../core/safeguard/redact';
import { connectTest, dropPrefix } from '../support/redis';

describe('Safeguard audit stream (real Redis)', () => {
	let coordination: Coordination;
	let audit: AuditLog;

	beforeAll(async () => {
		coordination = await connectTest('audit');
		audit = new AuditLog(coordination.redis, coordination.config.keyPrefix);
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	it('appends in order and exports every entry as JSON lines, across export batches', async () => {
		for (let i = 0; i < 7; i++) {
			await audit.append({ event: 'decision', operationId: 'glpi.create_ticket', outcome: i % 2 ? 'allow' : 'approval_required', actor: `agent-${i}` });
		}
		const lines: string[] = [];
		for await (const line of audit.exportJsonLines(3)) lines.push(line);
		expect(lines).toHaveLength(7);
		const entries = lines.map((line) => JSON.parse(line));
		expect(entries.map((entry) => entry.actor)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `agent-${i}`));
		expect(entries[0]).toMatchObject({ event: 'decision', operationId: 'glpi.create_ticket', outcome: 'approval_required', at: expect.any(String) });
	});

	it('records redacted arguments: a secret never reaches the stream', async () => {
		const operation = catalogue.get('mysecret.create_secret');
		const args = { payload: 'Ultra-Secret-42', expireAfterDays: 7, expireAfterViews: 5 };
		await audit.append({ event: 'request', operationId: operation.id, outcome: 'pending', detail: redactArguments(operation, args) });
		const raw = JSON.stringify(await coordination.redis.xrange(audit.key, '-', '+'));
		expect(raw).toContain('[redacted]');
		expect(raw).not.toContain('Ultra-Secret-42');
	});
});
