import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { catalogue } from '../../core/catalogue';
import { inputJsonSchema } from '../../core/catalogue/json-schema';
import { WidipPhibeeApi } from '../../credentials/WidipPhibeeApi.credentials';
import { Phibee } from '../../nodes/Phibee/Phibee.node';
import { createPhibeeSimulator, type PhibeeSimulator } from '../../sandbox/simulators/phibee';
import { fakeExecuteContext } from '../support/n8n-context';

const API_KEY = 'phibee-node-key-2b7e';
/** The node as the fake execution context presents it. */
const PHIBEE_NODE = { type: 'n8n-nodes-widip.phibee', name: 'Phibee' };

describe('Phibee node', () => {
	let simulator: PhibeeSimulator;
	let credentials: IDataObject;

	beforeAll(async () => {
		simulator = createPhibeeSimulator({ apiKey: API_KEY });
		credentials = { url: await simulator.start(), apiKey: API_KEY, timeoutMs: 2000 };
	});
	afterAll(async () => simulator.stop());

	it('is derived from the catalogue: every phibee operation, its fields, usable as a tool', () => {
		const { description } = new Phibee();
		expect(description.name).toBe('phibee');
		expect(description.displayName).toBe('WIDIP Phibee');
		expect(description.usableAsTool).toBe(true);
		expect(description.credentials).toEqual([{ name: new WidipPhibeeApi().name, required: true, displayName: 'Credential for Phibee' }]);
		const operations = description.properties.find((property) => property.name === 'operation')!
			.options as Array<{ value: string }>;
		expect(operations.map((option) => option.value)).toEqual(
			catalogue.list({ service: 'phibee' }).map((operation) => operation.id),
		);
		for (const operation of catalogue.list({ service: 'phibee' })) {
			const shown = description.properties
				.filter((property) =>
					(property.displayOptions?.show?.operation as string[] | undefined)?.includes(
						operation.id,
					),
				)
				.flatMap((property) =>
					property.name === 'additionalFields'
						? (property.options as INodeProperties[])
						: [property],
				);
			expect(shown.map((field) => field.name).sort()).toEqual(
				Object.keys(inputJsonSchema(operation.input).properties ?? {}).sort(),
			);
		}
	});

	it('the credential authenticates with the API key header and tests without changing anything', () => {
		const credential = new WidipPhibeeApi();
		expect(credential.authenticate.properties.headers).toEqual({
			'X-API-Key': '={{$credentials.apiKey}}',
		});
		expect(credential.test.request).toMatchObject({ url: '/api/v1/links', qs: { limit: 1 } });
		expect(
			credential.properties.find((property) => property.name === 'apiKey')?.typeOptions,
		).toEqual({ password: true });
	});

	it('runs one operation per item, pairs outputs, and turns failures into error items with continueOnFail', async () => {
		const [items] = await new Phibee().execute.call(
			fakeExecuteContext({
				...PHIBEE_NODE,
				params: [
					{ operation: 'phibee.diagnose_outage', additionalFields: { clientId: 'PHB-BELLEVUE' } },
					{ operation: 'phibee.test_link_status', linkId: 'LNK-TILLEULS-01' },
					{ operation: 'phibee.get_link_info', additionalFields: { linkId: 'LNK-NOWHERE-01' } },
					{ operation: 'phibee.get_client_incidents', clientId: 'PHB-BELLEVUE', status: 'open' },
				],
				credentials,
				continueOnFail: true,
			}),
		);
		expect(items.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3].map((item) => ({ item })));
		expect(items[0].json).toMatchObject({
			responsibility: 'phibee_fai',
			ticketAction: 'open_provider_ticket',
		});
		expect(items[1].json).toMatchObject({ status: 'up', cpeReachable: false });
		expect(items[2].json).toEqual({
			error: 'Phibee (phibee.get_link_info): not found (HTTP 404 unknown link "LNK-NOWHERE-01")',
			details: { kind: 'not_found', service: 'phibee' },
		});
		expect(items[3].json).toMatchObject({ clientId: 'PHB-BELLEVUE', openCount: 1 });
	});

	it('without continueOnFail a wrong key fails the node with a clear message', async () => {
		const run = new Phibee().execute.call(
			fakeExecuteContext({
				...PHIBEE_NODE,
				params: [{ operation: 'phibee.test_link_status', linkId: 'LNK-BELLEVUE-01' }],
				credentials: {
					...credentials,
					apiKey: 'wrong-key-xyz',
				},
			}),
		);
		await expect(run).rejects.toThrow(
			'Phibee (phibee.test_link_status): authentication refused (HTTP 401 missing or invalid API key)',
		);
	});
});
