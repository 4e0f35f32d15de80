import type { IDataObject } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { WidipMySecretApi } from '../../credentials/WidipMySecretApi.credentials';
import { MySecret } from '../../nodes/MySecret/MySecret.node';
import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { fakeExecuteContext } from '../support/n8n-context';

const API_KEY = 'mysecret-node-key-8d21';
const PAYLOAD = 'Node-Pw-Glycines-4%Tr';
/** The node as the fake execution context presents it. */
const MYSECRET_NODE = { type: 'n8n-nodes-widip.mySecret', name: 'MySecret' };

describe('MySecret node', () => {
	let simulator: MySecretSimulator;
	let credentials: IDataObject;

	beforeAll(async () => {
		simulator = createMySecretSimulator({ apiKey: API_KEY });
		credentials = { url: await simulator.start(), apiKey: API_KEY, timeoutMs: 2000 };
	});
	afterAll(async () => simulator.stop());

	it('is derived from the catalogue; the secret is a password field', () => {
		const { description } = new MySecret();
		expect(description.name).toBe('mySecret');
		expect(description.displayName).toBe('WIDIP MySecret');
		expect(description.usableAsTool).toBe(true);
		expect(description.credentials).toEqual([
			{ name: new WidipMySecretApi().name, required: true, displayName: 'Credential for MySecret' },
			{ name: 'widipSafeguardApi', required: false, displayName: 'Safeguard (Only for AI Tool Use and Gate Approvals)', testedBy: 'widipSafeguardConnectionTest' },
		]);
		const operations = description.properties.find((property) => property.name === 'operation')!
			.options as Array<{ value: string }>;
		expect(operations.map((option) => option.value)).toEqual(
			catalogue.list({ service: 'mysecret' }).map((operation) => operation.id),
		);
		const payload = description.properties.find((property) => property.name === 'payload')!;
		expect(payload).toMatchObject({
			type: 'string',
			required: true,
			typeOptions: { password: true },
		});
		expect(
			description.properties.find((property) => property.name === 'expireAfterDays')?.default,
		).toBe(7);
		expect(
			description.properties.find((property) => property.name === 'expireAfterViews')?.default,
		).toBe(5);
	});

	it('the credential authenticates with the API key header and tests on a route that creates nothing', () => {
		const credential = new WidipMySecretApi();
		expect(credential.authenticate.properties.headers).toEqual({
			'X-API-Key': '={{$credentials.apiKey}}',
		});
		expect(credential.test.request.url).toBe('/api/status');
	});

	it('outputs the link only; the link reveals the secret', async () => {
		const [items] = await new MySecret().execute.call(
			fakeExecuteContext({
				...MYSECRET_NODE,
				params: [
					{
						operation: 'mysecret.create_secret',
						payload: PAYLOAD,
						expireAfterDays: 3,
						expireAfterViews: 1,
					},
				],
				credentials,
			}),
		);
		expect(items).toHaveLength(1);
		expect(Object.keys(items[0].json).sort()).toEqual(['expiresAt', 'url', 'viewsLeft']);
		expect(JSON.stringify(items)).not.toContain(PAYLOAD);
		const revealed = (await (await fetch(items[0].json.url as string)).json()) as {
			secret: string;
		};
		expect(revealed.secret).toBe(PAYLOAD);
	});

	it('continueOnFail: a wrong key becomes an error item without the key or the secret', async () => {
		const [items] = await new MySecret().execute.call(
			fakeExecuteContext({
				...MYSECRET_NODE,
				params: [
					{
						operation: 'mysecret.create_secret',
						payload: PAYLOAD,
						expireAfterDays: 7,
						expireAfterViews: 5,
					},
				],
				credentials: { ...credentials, apiKey: 'wrong-key-abc' },
				continueOnFail: true,
			}),
		);
		expect(items).toEqual([
			{
				json: {
					error:
						'MySecret (mysecret.create_secret): authentication refused (HTTP 401 missing or invalid API key)',
					details: { kind: 'auth', service: 'mysecret' },
				},
				pairedItem: { item: 0 },
			},
		]);
	});
});
