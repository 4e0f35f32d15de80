import { catalogue } from '../../core/catalogue';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

const USER_TOKEN = 'widip-sim-user-token';
const APP_TOKEN = 'e2e-app-token-5f2c9d';

/** Every GLPI operation from the `n8n-nodes-widip.glpi` node inside real n8n, against the simulator. */
describe('GLPI node in real n8n', () => {
	let harness: N8nHarness;
	let sim: GlpiSimulator;

	beforeAll(async () => {
		sim = createGlpiSimulator({ appToken: APP_TOKEN });
		const url = `${await sim.start()}/apirest.php`;
		harness = await N8nHarness.create();
		const credential = (id: string, name: string, userToken: string) => ({
			id,
			name,
			type: 'widipGlpiApi',
			data: { url, appToken: APP_TOKEN, authMethod: 'userToken', userToken, timeZone: 'UTC', timeoutMs: 5000 },
		});
		await harness.importCredentials([
			credential('widipE2eGlpiOk01', 'WIDIP GLPI (e2e)', USER_TOKEN),
			credential('widipE2eGlpiBad1', 'WIDIP GLPI wrong token (e2e)', 'e2e-wrong-user-token'),
		]);
		await harness.importWorkflows([loadWorkflow('glpi-all-operations.json'), loadWorkflow('glpi-wrong-token.json')]);
	}, 40 * 60_000);

	afterAll(async () => {
		await sim?.stop();
		harness?.dispose();
	});

	it('runs all eight operations; outputs match the catalogue schemas; GLPI holds the result', async () => {
		const result = await harness.execute('widipE2eGlpiAll1');
		expect(result.error).toBeUndefined();
		const check = (node: string, operationId: string) => {
			const [output] = outputItems(result, node);
			expect(catalogue.get(operationId).output.safeParse(output).success).toBe(true);
			return output as Record<string, any>;
		};
		const client = check('Search Client', 'glpi.search_client');
		expect(client.clients[0].email).toBe('marie.martin@bellevue.example.fr');
		const created = check('Create Ticket', 'glpi.create_ticket');
		expect(created.created).toBe(true);
		expect(check('Create Again', 'glpi.create_ticket')).toEqual({ id: created.id, created: false });
		expect(check('Search New Tickets', 'glpi.search_new_tickets').tickets.map((t: { id: number }) => t.id)).toContain(created.id);
		expect(check('Add Followup', 'glpi.add_followup').ticketId).toBe(created.id);
		expect(check('Update Status', 'glpi.update_status')).toMatchObject({ status: 4, statusLabel: 'pending' });
		expect(check('Close Ticket', 'glpi.close_ticket').status).toBe(6);
		const ticket = check('Get Ticket', 'glpi.get_ticket');
		expect(ticket).toMatchObject({ id: created.id, status: 6, title: 'EHPAD Bellevue : routeur EHPAD-Bellevue-RTR01 injoignable' });
		expect(ticket.followups[0]).toMatchObject({ isPrivate: true, content: 'Diagnostic : coupure fibre côté opérateur' });
		expect(check('Ping', 'glpi.health_ping').healthy).toBe(true);

		const stored = sim.state.tickets.get(created.id)!;
		expect(stored.requesters).toEqual([client.clients[0].id]);
		expect(stored.entities_id).toBe(1);
		expect(sim.seen('POST', '/Ticket')).toHaveLength(1);
		expect(result.output).not.toContain(USER_TOKEN);
		expect(result.output).not.toContain(APP_TOKEN);
	}, 180_000);

	it('a wrong user token stops the node with a clear message and no token anywhere', async () => {
		const result = await harness.execute('widipE2eGlpiBad1');
		expect(result.ok).toBe(false);
		expect(result.error?.message).toBe(
			'GLPI (glpi.search_client): authentication refused (HTTP 401 ERROR_GLPI_LOGIN_USER_TOKEN: parameter user_token seems invalid)',
		);
		expect(result.output).not.toContain('e2e-wrong-user-token');
		expect(result.output).not.toContain(APP_TOKEN);
	}, 180_000);
});
