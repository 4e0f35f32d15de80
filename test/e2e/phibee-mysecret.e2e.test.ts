import { createMySecretSimulator, type MySecretSimulator } from '../../sandbox/simulators/mysecret';
import { createPhibeeSimulator, type PhibeeSimulator } from '../../sandbox/simulators/phibee';
import { loadWorkflow, N8nHarness, outputItems } from './harness';

/**
 * The Phibee and MySecret nodes of our packed package inside a real n8n 2.41.1, with the node
 * types production uses (`n8n-nodes-widip.phibee`, `n8n-nodes-widip.mySecret`), against the
 * simulators started here.
 */
describe('Phibee and MySecret nodes in real n8n', () => {
	const phibeeKey = 'phibee-e2e-key-4e1d9a';
	const mySecretKey = 'mysecret-e2e-key-b83f20';
	const wrongKey = 'wrong-e2e-key-c0ffee';
	/**
	 * What the workflows' payload expression resolves to. The workflow JSON only holds the
	 * expression: n8n prints a failed node's parameters back, and we check the *resolved* value
	 * appears nowhere in n8n's output.
	 */
	const payload = 'E2e-Secret-Gl7c!nes-42';
	let harness: N8nHarness;
	let phibee: PhibeeSimulator;
	let mySecret: MySecretSimulator;

	beforeAll(async () => {
		phibee = createPhibeeSimulator({ apiKey: phibeeKey });
		mySecret = createMySecretSimulator({ apiKey: mySecretKey });
		const [phibeeUrl, mySecretUrl] = await Promise.all([phibee.start(), mySecret.start()]);
		harness = await N8nHarness.create();
		const credential = (id: string, name: string, type: string, url: string, apiKey: string) => ({
			id,
			name,
			type,
			data: { url, apiKey, timeoutMs: 5000 },
		});
		await harness.importCredentials([
			credential('widipE2ePhibCred', 'WIDIP Phibee (e2e)', 'widipPhibeeApi', phibeeUrl, phibeeKey),
			credential(
				'widipE2ePhibBadK',
				'WIDIP Phibee wrong key (e2e)',
				'widipPhibeeApi',
				phibeeUrl,
				wrongKey,
			),
			credential(
				'widipE2eMySecCrd',
				'WIDIP MySecret (e2e)',
				'widipMySecretApi',
				mySecretUrl,
				mySecretKey,
			),
			credential(
				'widipE2eMySecBad',
				'WIDIP MySecret wrong key (e2e)',
				'widipMySecretApi',
				mySecretUrl,
				wrongKey,
			),
		]);
		await harness.importWorkflows(
			[
				'phibee-diagnostics.json',
				'phibee-wrong-key.json',
				'mysecret-create.json',
				'mysecret-wrong-key.json',
			].map(loadWorkflow),
		);
	}, 40 * 60_000);

	afterAll(async () => {
		harness?.dispose();
		await phibee?.stop();
		await mySecret?.stop();
	});

	function expectNoSecrets(output: string): void {
		for (const secret of [payload, phibeeKey, mySecretKey, wrongKey])
			expect(output).not.toContain(secret);
	}

	it('runs every Phibee operation from the node: each scenario diagnosed, link tested and described, incidents listed', async () => {
		const result = await harness.execute('widipE2ePhibee01');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);

		const [fibreCut] = outputItems(result, 'Diagnose Fibre Cut');
		expect(fibreCut).toMatchObject({
			responsibility: 'phibee_fai',
			ticketAction: 'open_provider_ticket',
			linkId: 'LNK-BELLEVUE-01',
			providerTicket: phibee.linkOf('BELLEVUE').providerTicket,
		});
		expect(Date.parse(fibreCut.eta as string)).toBeGreaterThan(Date.now());
		expect(outputItems(result, 'Diagnose Router')).toEqual([
			expect.objectContaining({
				responsibility: 'router_client',
				ticketAction: 'dispatch_technician',
				clientId: 'PHB-TILLEULS',
			}),
		]);
		expect(outputItems(result, 'Diagnose Power')).toEqual([
			expect.objectContaining({
				responsibility: 'power',
				ticketAction: 'contact_site',
				clientId: 'PHB-STJOSEPH',
			}),
		]);
		expect(outputItems(result, 'Test Link')).toEqual([
			expect.objectContaining({
				linkId: 'LNK-BELLEVUE-01',
				status: 'down',
				ontStatus: 'loss_of_signal',
			}),
		]);
		expect(outputItems(result, 'Link Info')).toEqual([
			{
				count: 1,
				links: [
					expect.objectContaining({
						linkId: 'LNK-STJOSEPH-01',
						technology: 'FTTO',
						wanIp: '198.51.100.13',
					}),
				],
			},
		]);
		expect(outputItems(result, 'Open Incidents')).toEqual([
			expect.objectContaining({
				clientId: 'PHB-BELLEVUE',
				openCount: 1,
				incidents: [expect.objectContaining({ id: fibreCut.providerTicket })],
			}),
		]);
		// the simulator really answered these calls (n8n did not just echo parameters)
		expect(phibee.seen('POST', '/api/v1/diagnostics/outage').length).toBeGreaterThanOrEqual(3);
		expect(
			phibee.seen('GET', '/api/v1/links/LNK-BELLEVUE-01/status').length,
		).toBeGreaterThanOrEqual(1);
		expectNoSecrets(result.output);
	}, 180_000);

	it('a wrong Phibee API key fails the node with a clear message and the key nowhere', async () => {
		const result = await harness.execute('widipE2ePhibeeBK');
		expect(result.ok).toBe(false);
		expect(result.error?.message).toBe(
			'Phibee (phibee.test_link_status): authentication refused (HTTP 401 missing or invalid API key)',
		);
		expect(result.error?.node?.name).toBe('Test Link');
		expectNoSecrets(result.output);
	}, 180_000);

	it('creates a one-time link from the node: only the link comes out, it reveals the secret, then stops after its views', async () => {
		const created = mySecret.createdCount;
		const result = await harness.execute('widipE2eMySecr01');
		expect(result.error).toBeUndefined();
		expect(result.ok).toBe(true);
		const items = outputItems(result, 'Create Secret Link');
		expect(items).toHaveLength(1);
		expect(Object.keys(items[0]).sort()).toEqual(['expiresAt', 'url', 'viewsLeft']);
		expect(items[0].viewsLeft).toBe(2);
		expect(mySecret.createdCount - created).toBe(1);
		expectNoSecrets(result.output);

		const url = items[0].url as string;
		// the grep above is meaningful: n8n's output does carry the node's run data
		expect(result.output).toContain(url);
		expect(url.startsWith(`${mySecret.url}/s/`)).toBe(true);
		for (const viewsLeft of [1, 0]) {
			const response = await fetch(url);
			expect(response.status).toBe(200);
			expect(await response.json()).toEqual({ secret: payload, views_left: viewsLeft });
		}
		expect((await fetch(url)).status).toBe(404);
	}, 180_000);

	it('a wrong MySecret API key fails the node clearly: nothing stored, neither key nor secret in the output', async () => {
		const created = mySecret.createdCount;
		const result = await harness.execute('widipE2eMySecrBK');
		expect(result.ok).toBe(false);
		expect(result.error?.message).toBe(
			'MySecret (mysecret.create_secret): authentication refused (HTTP 401 missing or invalid API key)',
		);
		expect(mySecret.createdCount).toBe(created);
		// n8n prints the failed node's parameters: the payload expression, never its value
		expect(result.output).toContain('Gl7c!nes');
		expectNoSecrets(result.output);
	}, 180_000);
});
