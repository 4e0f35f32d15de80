import type { ICredentialDataDecryptedObject, IDataObject, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { WidipObserviumApi } from '../../credentials/WidipObserviumApi.credentials';
import { observiumConfigFromCredentials } from '../../nodes/Observium/connection';
import { Observium } from '../../nodes/Observium/Observium.node';
import type { ObserviumSimulator } from '../../sandbox/simulators/observium';
import { fakeExecuteContext } from '../support/n8n-context';
import { clientFor, PASSWORD, startSimulator } from './support';

/** The node as the fake execution context presents it. */
const OBSERVIUM_NODE = { type: 'n8n-nodes-widip.observium', name: 'Observium' };

/** Resolves the credential's `={{$credentials.x}}` expressions, the only form it uses. */
function resolve(template: string, credentials: IDataObject): string {
	return template.replace(/^=\{\{\s*\$credentials\.(\w+)\s*\}\}$/, (_match, key: string) => String(credentials[key]));
}

describe('WIDIP Observium node and credential', () => {
	let simulator: ObserviumSimulator;
	let credentials: IDataObject;

	beforeAll(async () => {
		simulator = await startSimulator();
		credentials = {
			url: `${simulator.url}/api/v0`,
			username: simulator.username,
			password: PASSWORD,
			timeoutMs: 2000,
			timeZone: 'UTC',
		};
	});
	afterAll(async () => {
		await simulator.stop();
	});

	it('offers exactly the catalogue operations, as a tool, with the Observium credential', () => {
		const { description } = new Observium();
		expect(description).toMatchObject({ name: 'observium', displayName: 'WIDIP Observium', usableAsTool: true });
		expect(description.credentials).toEqual([{ name: 'widipObserviumApi', required: true, displayName: 'Credential for Observium' }]);
		const operations = description.properties.find((property) => property.name === 'operation')!.options as Array<{
			value: string;
		}>;
		expect(operations.map((option) => option.value)).toEqual(
			catalogue.list({ service: 'observium' }).map((operation) => operation.id),
		);
		const field = (name: string) => description.properties.find((property: INodeProperties) => property.name === name)!;
		expect(field('hours')).toMatchObject({ type: 'number', default: 24 });
		expect(field('payload')).toMatchObject({ type: 'json', required: true });
	});

	it('maps credentials to the client config, and the client answers like the catalogue', async () => {
		expect(observiumConfigFromCredentials(credentials as ICredentialDataDecryptedObject)).toEqual({
			baseUrl: `${simulator.url}/api/v0`,
			username: simulator.username,
			password: PASSWORD,
			timeoutMs: 2000,
			timeZone: 'UTC',
		});
		const [items] = await new Observium().execute.call(
			fakeExecuteContext({
				...OBSERVIUM_NODE,
				credentials,
				params: [
					{ operation: 'observium.device_status', device: 'EHPAD-Les-Tilleuls-RTR01' },
					{ operation: 'observium.device_history', device: 'EHPAD-Les-Mimosas-RTR01', hours: 12 },
					{
						operation: 'observium.normalize_alert',
						payload: '{"ALERT_STATE":"RECOVER","ALERT_ID":"7","ALERT_UNIXTIME":"1700000000","DEVICE_HOSTNAME":"x"}',
					},
				],
			}),
		);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const direct = await catalogue.run(
			'observium.device_status',
			{ device: 'EHPAD-Les-Tilleuls-RTR01' },
			{ observium: clientFor(simulator) },
		);
		expect(items[0].json).toEqual(direct);
		expect(items[1].json).toMatchObject({ hostname: 'EHPAD-Les-Mimosas-RTR01', hours: 12, stabilityPercent: 100 });
		expect(items[2].json).toMatchObject({ alertId: 7, state: 'RECOVER', isRecovery: true });
	});

	it('an unknown device fails the node with the clear message; continueOnFail turns it into an error item', async () => {
		const params = [{ operation: 'observium.device_alerts', device: 'EHPAD-Nowhere-RTR01', status: 'all' }];
		const message = 'Observium (observium.device_alerts): no device with hostname or id "EHPAD-Nowhere-RTR01"';
		const options = { ...OBSERVIUM_NODE, credentials, params };
		const failing = new Observium().execute.call(fakeExecuteContext(options));
		await expect(failing).rejects.toBeInstanceOf(NodeOperationError);
		await expect(new Observium().execute.call(fakeExecuteContext(options))).rejects.toMatchObject({
			message,
			context: { itemIndex: 0 },
		});
		const [items] = await new Observium().execute.call(fakeExecuteContext({ ...options, continueOnFail: true }));
		expect(items).toEqual([{ json: { error: message, details: { kind: 'not_found', service: 'observium' } }, pairedItem: { item: 0 } }]);
	});

	it('a credential with a wrong URL fails every item with the configuration message', async () => {
		const [items] = await new Observium().execute.call(
			fakeExecuteContext({
				...OBSERVIUM_NODE,
				credentials: { ...credentials, url: simulator.url },
				params: [{ operation: 'observium.device_status', device: '101' }],
				continueOnFail: true,
			}),
		);
		expect(items[0].json.error).toBe('Invalid Observium configuration: baseUrl: must end with the API path, e.g. /api/v0');
	});

	it("the credential's declarative test request reaches a real API route with basic auth", async () => {
		const credential = new WidipObserviumApi();
		expect(credential.name).toBe('widipObserviumApi');
		expect(credential.properties.find((property) => property.name === 'password')?.typeOptions).toEqual({ password: true });
		const { request } = credential.test;
		const auth = credential.authenticate.properties.auth!;
		const probe = async (data: IDataObject) => {
			const url = new URL(`${resolve(String(request.baseURL), data)}${request.url}`);
			for (const [key, value] of Object.entries(request.qs ?? {})) url.searchParams.set(key, String(value));
			const basic = Buffer.from(`${resolve(auth.username, data)}:${resolve(auth.password, data)}`).toString('base64');
			return await fetch(url, { headers: { Authorization: `Basic ${basic}` } });
		};
		simulator.requests.splice(0);
		const good = await probe(credentials);
		expect(good.status).toBe(200);
		expect(await good.json()).toMatchObject({ status: 'ok', devices: { '101': { device_id: '101' } } });
		expect(simulator.requests[0]).toMatchObject({ method: 'GET', path: '/api/v0/devices/', query: { fields: 'device_id' } });

		const bad = await probe({ ...credentials, password: 'nope' });
		expect(bad.status).toBe(401);
		const rules = credential.test.rules as Array<{ type: string; properties: { value: unknown; message: string } }>;
		expect(rules.find((rule) => rule.properties.value === 401)?.properties.message).toBe(
			'Observium rejected the username or password',
		);
		const notApi = await probe({ ...credentials, url: `${simulator.url}/api/v9` });
		expect(rules.find((rule) => rule.properties.value === notApi.status)?.properties.message).toMatch(/should end in \/api\/v0/);
	});
});
