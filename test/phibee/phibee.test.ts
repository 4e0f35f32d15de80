import { catalogue } from '../../core/catalogue';
import { ValidationError, WidipError } from '../../core/errors';
import { PhibeeClient } from '../../core/phibee/client';
import {
	createPhibeeSimulator,
	PHIBEE_SCENARIOS,
	phibeeClientId,
	phibeeLinkId,
	type LinkScenario,
	type PhibeeSimulator,
} from '../../sandbox/simulators/phibee';
import { deviceName, SITES, type Site } from '../../sandbox/simulators/seed-data';
import { captureLogger as capturingLogger } from '../support/capture-logger';

const API_KEY = 'phibee-test-key-5f0c1e';
const site = (code: string): Site => SITES.find((candidate) => candidate.code === code)!;

/** What each scenario must come out as: the contract's promise to the Sentinel agent. */
const EXPECTED: Record<
	LinkScenario,
	{ responsibility: string; ticketAction: string; linkStatus: string }
> = {
	fibre_cut: {
		responsibility: 'phibee_fai',
		ticketAction: 'open_provider_ticket',
		linkStatus: 'down',
	},
	router_down: {
		responsibility: 'router_client',
		ticketAction: 'dispatch_technician',
		linkStatus: 'up',
	},
	power_outage: { responsibility: 'power', ticketAction: 'contact_site', linkStatus: 'down' },
	healthy: { responsibility: 'none', ticketAction: 'none', linkStatus: 'up' },
};

async function rejection(promise: Promise<unknown>): Promise<WidipError> {
	try {
		await promise;
	} catch (error) {
		return error as WidipError;
	}
	throw new Error('expected the call to fail');
}

describe('Phibee operations against the simulator', () => {
	let simulator: PhibeeSimulator;
	let phibee: PhibeeClient;
	const logger = capturingLogger();
	const run = (id: string, args: object) => catalogue.run(id, args, { phibee });

	beforeAll(async () => {
		simulator = createPhibeeSimulator({ apiKey: API_KEY });
		await simulator.start();
		phibee = new PhibeeClient({ baseUrl: simulator.url, apiKey: API_KEY, timeoutMs: 3000 }, logger);
	});
	afterAll(async () => {
		await phibee.close();
		await simulator.stop();
	});

	it.each(SITES.map((entry) => [entry.code, PHIBEE_SCENARIOS[entry.code] ?? 'healthy'] as const))(
		'diagnoses %s (%s) by client id',
		async (code, scenario) => {
			const result = (await run('phibee.diagnose_outage', { clientId: `PHB-${code}` })) as Record<
				string,
				unknown
			>;
			expect(catalogue.get('phibee.diagnose_outage').output.safeParse(result).success).toBe(true);
			expect(result).toMatchObject({
				...EXPECTED[scenario],
				clientId: `PHB-${code}`,
				linkId: `LNK-${code}-01`,
			});
			expect(result.diagnosis).toEqual(expect.any(String));
			expect(result.recommendation).toEqual(expect.any(String));
		},
	);

	it('a fibre cut names Phibee, its ticket and an ETA in the future', async () => {
		const result = (await run('phibee.diagnose_outage', { clientId: 'PHB-BELLEVUE' })) as Record<
			string,
			string
		>;
		expect(result.responsibility).toBe('phibee_fai');
		expect(result.providerTicket).toMatch(/^PHB-INC-\d+$/);
		expect(Date.parse(result.eta)).toBeGreaterThan(Date.now());
		expect(result.diagnosis).toContain(result.providerTicket);
		const incidents = (await run('phibee.get_client_incidents', {
			clientId: 'PHB-BELLEVUE',
			status: 'open',
		})) as {
			openCount: number;
			incidents: Array<Record<string, unknown>>;
		};
		expect(incidents.openCount).toBe(1);
		expect(incidents.incidents[0]).toMatchObject({
			id: result.providerTicket,
			kind: 'fibre_cut',
			status: 'open',
			eta: result.eta,
		});
	});

	it("finds the site by its router's WAN IP: router down while the link is up", async () => {
		const tilleuls = site('TILLEULS');
		const result = (await run('phibee.diagnose_outage', { ip: tilleuls.wanIp })) as Record<
			string,
			unknown
		>;
		expect(result).toMatchObject({
			responsibility: 'router_client',
			ticketAction: 'dispatch_technician',
			providerTicket: null,
			eta: null,
			linkStatus: 'up',
			clientId: phibeeClientId(tilleuls),
		});
		expect(result.diagnosis).toContain(deviceName(tilleuls, 'RTR'));
	});

	it('finds the site by device name: power outage at the site', async () => {
		const stJoseph = site('STJOSEPH');
		const result = (await run('phibee.diagnose_outage', {
			device: deviceName(stJoseph, 'RTR'),
		})) as Record<string, unknown>;
		expect(deviceName(stJoseph, 'RTR')).toBe('Clinique-Saint-Joseph-RTR01');
		expect(result).toMatchObject({
			responsibility: 'power',
			ticketAction: 'contact_site',
			linkId: phibeeLinkId(stJoseph),
			providerTicket: null,
		});
		// a switch of the same site leads to the same link
		const bySwitch = (await run('phibee.diagnose_outage', {
			device: deviceName(stJoseph, 'SW', 2),
		})) as Record<string, unknown>;
		expect(bySwitch.linkId).toBe(phibeeLinkId(stJoseph));
	});

	it('accepts several targets when they agree, refuses them when they do not', async () => {
		const bellevue = site('BELLEVUE');
		const agreed = (await run('phibee.diagnose_outage', {
			clientId: 'PHB-BELLEVUE',
			ip: bellevue.wanIp,
		})) as Record<string, unknown>;
		expect(agreed.linkId).toBe('LNK-BELLEVUE-01');
		const error = await rejection(
			run('phibee.diagnose_outage', { clientId: 'PHB-BELLEVUE', ip: site('MIMOSAS').wanIp }),
		);
		expect(error).toBeInstanceOf(WidipError);
		expect(error.kind).toBe('bad_request');
		expect(error.message).toMatch(
			/^Phibee \(phibee\.diagnose_outage\): request refused \(HTTP 400 .*point to different links\)$/,
		);
	});

	it('refuses a diagnosis with no target, naming what is missing, before any request', async () => {
		const before = simulator.requests.length;
		await expect(run('phibee.diagnose_outage', {})).rejects.toThrow(ValidationError);
		await expect(run('phibee.diagnose_outage', {})).rejects.toThrow(
			/give at least one of clientId, ip or device/,
		);
		await expect(run('phibee.diagnose_outage', { ip: 'not-an-ip' })).rejects.toThrow(
			/ip: expected an IPv4 or IPv6 address/,
		);
		await expect(run('phibee.test_link_status', { linkId: '../../clients' })).rejects.toThrow(
			/linkId: use letters/,
		);
		expect(simulator.requests.length).toBe(before);
	});

	it('tests each link: the state matches the scenario', async () => {
		const results: Record<string, Record<string, unknown>> = {};
		for (const code of ['BELLEVUE', 'TILLEULS', 'STJOSEPH', 'GLYCINES']) {
			results[code] = (await run('phibee.test_link_status', {
				linkId: `LNK-${code}-01`,
			})) as Record<string, unknown>;
		}
		expect(results.BELLEVUE).toMatchObject({
			status: 'down',
			ontStatus: 'loss_of_signal',
			latencyMs: null,
			packetLossPct: 100,
		});
		expect(results.TILLEULS).toMatchObject({
			status: 'up',
			ontStatus: 'online',
			cpeReachable: false,
			latencyMs: null,
		});
		expect(results.STJOSEPH).toMatchObject({ status: 'down', ontStatus: 'dying_gasp' });
		expect(results.GLYCINES).toMatchObject({
			status: 'up',
			ontStatus: 'online',
			cpeReachable: true,
			packetLossPct: 0,
		});
		expect(results.GLYCINES.latencyMs).toBeGreaterThan(0);
		for (const result of Object.values(results)) {
			expect(catalogue.get('phibee.test_link_status').output.safeParse(result).success).toBe(true);
			expect(Date.parse(result.lastChange as string)).toBeLessThan(
				Date.parse(result.checkedAt as string),
			);
		}
	});

	it('describes a link by id or all links of a client', async () => {
		const stJoseph = site('STJOSEPH');
		const byId = (await run('phibee.get_link_info', { linkId: 'LNK-STJOSEPH-01' })) as {
			count: number;
			links: Array<Record<string, unknown>>;
		};
		expect(byId.count).toBe(1);
		expect(byId.links[0]).toMatchObject({
			linkId: 'LNK-STJOSEPH-01',
			clientId: 'PHB-STJOSEPH',
			siteName: stJoseph.name,
			technology: 'FTTO',
			wanIp: stJoseph.wanIp,
			address: { city: 'Grenoble', postalCode: '38000' },
			contract: { sla: 'GTR 4h' },
		});
		const byClient = (await run('phibee.get_link_info', { clientId: 'PHB-GLYCINES' })) as {
			count: number;
			links: Array<Record<string, unknown>>;
		};
		expect(byClient).toMatchObject({
			count: 1,
			links: [{ linkId: 'LNK-GLYCINES-01', technology: 'FTTH', wanIp: site('GLYCINES').wanIp }],
		});
		const mismatch = await rejection(
			run('phibee.get_link_info', { linkId: 'LNK-STJOSEPH-01', clientId: 'PHB-GLYCINES' }),
		);
		expect(mismatch.message).toBe(
			'Phibee link LNK-STJOSEPH-01 belongs to client PHB-STJOSEPH, not PHB-GLYCINES',
		);
		await expect(run('phibee.get_link_info', {})).rejects.toThrow(/give a linkId or a clientId/);
	});

	it('lists a client incidents by status', async () => {
		const all = (await run('phibee.get_client_incidents', { clientId: 'PHB-MIMOSAS' })) as {
			openCount: number;
			incidents: Array<Record<string, unknown>>;
		};
		expect(all.openCount).toBe(0);
		expect(all.incidents).toEqual([
			expect.objectContaining({ status: 'closed', kind: 'maintenance', linkId: 'LNK-MIMOSAS-01' }),
		]);
		expect(all.incidents[0].closedAt).toEqual(expect.any(String));
		const open = (await run('phibee.get_client_incidents', {
			clientId: 'PHB-MIMOSAS',
			status: 'open',
		})) as { incidents: unknown[] };
		expect(open.incidents).toEqual([]);
		const closed = (await run('phibee.get_client_incidents', {
			clientId: 'PHB-BELLEVUE',
			status: 'closed',
		})) as { incidents: Array<{ status: string }> };
		expect(closed.incidents.map((incident) => incident.status)).toEqual(['closed']);
		expect(simulator.seen('GET', '/api/v1/clients/PHB-BELLEVUE/incidents').at(-1)?.query).toEqual({
			status: 'closed',
		});
	});

	it.each([
		['phibee.test_link_status', { linkId: 'LNK-NOWHERE-01' }, 'unknown link "LNK-NOWHERE-01"'],
		['phibee.get_link_info', { linkId: 'LNK-NOWHERE-01' }, 'unknown link "LNK-NOWHERE-01"'],
		['phibee.get_link_info', { clientId: 'PHB-NOWHERE' }, 'unknown client "PHB-NOWHERE"'],
		['phibee.get_client_incidents', { clientId: 'PHB-NOWHERE' }, 'unknown client "PHB-NOWHERE"'],
		['phibee.diagnose_outage', { ip: '203.0.113.99' }, 'no Phibee link for IP 203.0.113.99'],
		[
			'phibee.diagnose_outage',
			{ device: 'Unknown-Site-RTR01' },
			'no Phibee link for device "Unknown-Site-RTR01"',
		],
	])('%s on an unknown id is a clear not_found, not retried', async (id, args, detail) => {
		const before = simulator.requests.length;
		const error = await rejection(run(id, args));
		expect(error).toBeInstanceOf(WidipError);
		expect(error.kind).toBe('not_found');
		expect(error.message).toBe(`Phibee (${id}): not found (HTTP 404 ${detail})`);
		expect(simulator.requests.length - before).toBe(1);
	});

	it('a wrong API key is a clear auth error, not retried, with no key in it', async () => {
		const wrongKey = 'phibee-WRONG-key-91d2';
		const wrong = new PhibeeClient(
			{ baseUrl: simulator.url, apiKey: wrongKey, timeoutMs: 3000 },
			logger,
		);
		const before = simulator.requests.length;
		const error = await rejection(
			catalogue.run('phibee.test_link_status', { linkId: 'LNK-BELLEVUE-01' }, { phibee: wrong }),
		);
		expect(error.kind).toBe('auth');
		expect(error.service).toBe('phibee');
		expect(error.operation).toBe('phibee.test_link_status');
		expect(error.message).toBe(
			'Phibee (phibee.test_link_status): authentication refused (HTTP 401 missing or invalid API key)',
		);
		expect(simulator.requests.length - before).toBe(1);
		expect(JSON.stringify(error)).not.toContain(wrongKey);
	});

	it('an invalid configuration names the field, never the key', () => {
		for (const baseUrl of ['not a url', 'ftp://phibee.example']) {
			let message = '';
			try {
				new PhibeeClient({ baseUrl, apiKey: API_KEY });
			} catch (error) {
				message = (error as Error).message;
			}
			expect(message).toMatch(/^Phibee configuration is invalid: baseUrl: /);
			expect(message).not.toContain(API_KEY);
		}
		expect(() => new PhibeeClient({ baseUrl: 'https://phibee.example', apiKey: '' })).toThrow(
			/apiKey: /,
		);
	});

	it('logged request facts, never the API key', () => {
		expect(logger.lines.length).toBeGreaterThan(10);
		expect(logger.lines.some((line) => line.includes('/api/v1/links/LNK-BELLEVUE-01/status'))).toBe(
			true,
		);
		for (const line of logger.lines) {
			expect(line).not.toContain(API_KEY);
			expect(line).not.toContain('phibee-WRONG-key-91d2');
		}
	});
});
