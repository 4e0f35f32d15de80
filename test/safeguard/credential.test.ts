import { catalogue } from '../../core/catalogue';
import type { Coordination } from '../../core/redis/coordination';
import { DEFAULT_POLICY } from '../../core/safeguard/decision';
import { Safeguard } from '../../core/safeguard/guard';
import { widipSafeguardConnectionTest } from '../../nodes/shared/safeguard-connection';
import { connectTest, dropPrefix } from '../support/redis';

const SECRET = 'credential-test-safeguard-key-0123456789';

/** The WIDIP Safeguard credential's test tells a technician whether its key matches the runtime's. */
describe('WIDIP Safeguard credential test (real Redis)', () => {
	let coordination: Coordination;
	let connection: Record<string, unknown>;

	beforeAll(async () => {
		coordination = await connectTest('sg-credential');
		connection = { host: coordination.config.host, port: coordination.config.port, keyPrefix: coordination.config.keyPrefix, timeoutMs: 2000 };
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	const test = (data: Record<string, unknown>) =>
		widipSafeguardConnectionTest.call({} as never, { id: '1', name: 'sg', type: 'widipSafeguardApi', data: data as never });

	it('says when no policy is published yet, when the key matches, and when it does not', async () => {
		expect(await test({ ...connection, safeguardSecret: SECRET })).toMatchObject({ status: 'OK', message: expect.stringMatching(/no policy published yet/) });
		await new Safeguard(coordination.redis, coordination.config.keyPrefix, catalogue, SECRET).policy.publish(DEFAULT_POLICY);
		expect(await test({ ...connection, safeguardSecret: SECRET })).toMatchObject({ status: 'OK', message: expect.stringMatching(/signed policy is valid/) });
		const wrong = await test({ ...connection, safeguardSecret: 'another-key-another-key-another-key-00' });
		expect(wrong).toMatchObject({ status: 'Error', message: expect.stringMatching(/not signed with this Safeguard key/) });
		expect(JSON.stringify(wrong)).not.toContain('another-key');
		expect(await test(connection)).toMatchObject({ status: 'OK', message: expect.stringMatching(/catalogue's levels apply/) });
		expect(await test({ ...connection, port: 1 })).toMatchObject({ status: 'Error' });
	});
});
