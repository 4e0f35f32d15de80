import type { FastifyReply, FastifyRequest } from 'fastify';

import {
	INCIDENT_FILTERS,
	outageRequest,
	PHIBEE_API_KEY_HEADER,
	PHIBEE_ROUTES,
	type IncidentBody,
	type LinkBody,
	type LinkStatusBody,
	type OutageDiagnosisBody,
	type PhibeeErrorBody,
} from '../../core/phibee/contract';
import { SimulatorServer } from './base';
import { deviceName, SITES, type Site } from './seed-data';

/** The state a seeded site's link is in. */
export type LinkScenario = 'fibre_cut' | 'router_down' | 'power_outage' | 'healthy';

/** Which site is in which trouble; every other site is healthy. Tests and the demo name these. */
export const PHIBEE_SCENARIOS: Readonly<Record<string, LinkScenario>> = {
	BELLEVUE: 'fibre_cut',
	TILLEULS: 'router_down',
	STJOSEPH: 'power_outage',
};

export const DEFAULT_PHIBEE_API_KEY = 'phibee-sandbox-key';

export function phibeeClientId(site: Site): string {
	return `PHB-${site.code}`;
}

export function phibeeLinkId(site: Site): string {
	return `LNK-${site.code}-01`;
}

const POSTAL_CODES: Record<string, string> = {
	Lyon: '69003',
	Villeurbanne: '69100',
	Grenoble: '38000',
	Annecy: '74000',
	Valence: '26000',
	Chambéry: '73000',
};

const MINUTE = 60_000;

interface SeededLink {
	site: Site;
	scenario: LinkScenario;
	link: LinkBody;
	/** When the current state began. */
	since: number;
	providerTicket: string | null;
	eta: number | null;
	incidents: IncidentBody[];
}

export interface PhibeeSimulatorOptions {
	apiKey?: string;
	/** Clock of the simulated world (tests may freeze it). */
	now?: () => number;
}

function error(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
	const body: PhibeeErrorBody = { error: { code, message } };
	return reply.code(status).send(body);
}

function iso(ms: number): string {
	return new Date(ms).toISOString();
}

/** Phibee's diagnostic API over the seeded sites: one link per site, some of them in trouble. */
export class PhibeeSimulator extends SimulatorServer {
	readonly apiKey: string;
	readonly links: SeededLink[];
	private readonly now: () => number;

	constructor(options: PhibeeSimulatorOptions = {}) {
		super('phibee', {
			errorBody: (status): PhibeeErrorBody => ({
				error:
					status === 429
						? { code: 'rate_limited', message: 'too many requests' }
						: { code: 'internal_error', message: 'simulated failure' },
			}),
		});
		this.apiKey = options.apiKey ?? DEFAULT_PHIBEE_API_KEY;
		this.now = options.now ?? Date.now;
		this.links = SITES.map((site, index) => this.seed(site, index));
		this.routes();
	}

	linkOf(siteCode: string): SeededLink {
		const found = this.links.find((entry) => entry.site.code === siteCode);
		if (!found) throw new Error(`No seeded Phibee link for site ${siteCode}`);
		return found;
	}

	private seed(site: Site, index: number): SeededLink {
		const now = this.now();
		const scenario = PHIBEE_SCENARIOS[site.code] ?? 'healthy';
		const clinic = site.name.startsWith('Clinique');
		const link: LinkBody = {
			link_id: phibeeLinkId(site),
			client_id: phibeeClientId(site),
			site_name: site.name,
			technology: clinic ? 'FTTO' : 'FTTH',
			bandwidth_down_mbps: clinic ? 1000 : 500,
			bandwidth_up_mbps: clinic ? 1000 : 200,
			address: {
				street: `${12 + index * 7} rue des Lilas`,
				postal_code: POSTAL_CODES[site.city] ?? '69000',
				city: site.city,
			},
			wan_ip: site.wanIp,
			contract: {
				reference: `PHB-CTR-${2021 + (index % 3)}-${String(100 + index)}`,
				sla: clinic ? 'GTR 4h' : 'GTR 8h',
				start_date: `${2021 + (index % 3)}-03-01`,
			},
		};
		const since = now - (scenario === 'healthy' ? 9 * 24 * 60 : 35 + index * 5) * MINUTE;
		const history: IncidentBody = {
			id: `PHB-INC-${String(7100 + index)}`,
			link_id: link.link_id,
			status: 'closed',
			kind: 'maintenance',
			title: 'Planned maintenance on the optical distribution frame',
			opened_at: iso(now - 30 * 24 * 60 * MINUTE),
			closed_at: iso(now - 30 * 24 * 60 * MINUTE + 90 * MINUTE),
			eta: null,
		};
		const seeded: SeededLink = {
			site,
			scenario,
			link,
			since,
			providerTicket: null,
			eta: null,
			incidents: [history],
		};
		if (scenario === 'fibre_cut') {
			seeded.providerTicket = `PHB-INC-${String(8200 + index)}`;
			seeded.eta = now + 4 * 60 * MINUTE;
			seeded.incidents.push({
				id: seeded.providerTicket,
				link_id: link.link_id,
				status: 'open',
				kind: 'fibre_cut',
				title: `Fibre cut between the ${site.city} central office and the site`,
				opened_at: iso(since + 5 * MINUTE),
				closed_at: null,
				eta: iso(seeded.eta),
			});
		}
		return seeded;
	}

	private status(entry: SeededLink): LinkStatusBody {
		const common = {
			link_id: entry.link.link_id,
			last_change: iso(entry.since),
			checked_at: iso(this.now()),
		};
		switch (entry.scenario) {
			case 'fibre_cut':
				return {
					...common,
					status: 'down',
					latency_ms: null,
					packet_loss_pct: 100,
					ont_status: 'loss_of_signal',
					cpe_reachable: false,
				};
			case 'power_outage':
				return {
					...common,
					status: 'down',
					latency_ms: null,
					packet_loss_pct: 100,
					ont_status: 'dying_gasp',
					cpe_reachable: false,
				};
			case 'router_down':
				return {
					...common,
					status: 'up',
					latency_ms: null,
					packet_loss_pct: 100,
					ont_status: 'online',
					cpe_reachable: false,
				};
			case 'healthy':
				return {
					...common,
					status: 'up',
					latency_ms: 3.2,
					packet_loss_pct: 0,
					ont_status: 'online',
					cpe_reachable: true,
				};
		}
	}

	private diagnose(entry: SeededLink): OutageDiagnosisBody {
		const { site } = entry;
		const router = deviceName(site, 'RTR');
		const since = iso(entry.since);
		const base = {
			link_id: entry.link.link_id,
			client_id: entry.link.client_id,
			provider_ticket: null,
			eta: null,
			link_status: this.status(entry).status,
			checked_at: iso(this.now()),
		};
		switch (entry.scenario) {
			case 'fibre_cut':
				return {
					...base,
					responsibility: 'phibee_fai',
					diagnosis: `Fibre cut on the Phibee network: the ONT at ${site.name} (${site.city}) lost the optical signal at ${since}. Phibee incident ${entry.providerTicket} is open.`,
					recommendation: `Open a GLPI ticket referencing Phibee incident ${entry.providerTicket} and tell the site; restoration is expected by ${iso(entry.eta!)}. No technician needed on site.`,
					ticket_action: 'open_provider_ticket',
					provider_ticket: entry.providerTicket,
					eta: iso(entry.eta!),
				};
			case 'router_down':
				return {
					...base,
					responsibility: 'router_client',
					diagnosis: `The Phibee link is up (ONT online, optical levels normal) but the site's router ${router} at ${site.wanIp} has not answered on the WAN since ${since}.`,
					recommendation: `Have the site power-cycle ${router}, or dispatch a technician to replace it. Phibee has nothing to fix.`,
					ticket_action: 'dispatch_technician',
				};
			case 'power_outage':
				return {
					...base,
					responsibility: 'power',
					diagnosis: `The ONT at ${site.name} sent a dying gasp (loss of power) at ${since}; the link went down with it. The fibre itself is intact.`,
					recommendation: `Call ${site.name} to confirm the power cut (breaker, UPS, utility). The link comes back with the power; no Phibee ticket needed.`,
					ticket_action: 'contact_site',
				};
			case 'healthy':
				return {
					...base,
					responsibility: 'none',
					diagnosis: `No fault on the Phibee side: the link is up and ${router} answers in 3 ms with no loss.`,
					recommendation:
						'Look inside the site network (switches, Wi-Fi, the affected device) before involving Phibee.',
					ticket_action: 'none',
				};
		}
	}

	private byClient(clientId: string): SeededLink | undefined {
		return this.links.find((entry) => entry.link.client_id === clientId);
	}

	private byDevice(device: string): SeededLink | undefined {
		// Device names start with the site's slug: EHPAD-Bellevue-RTR01, EHPAD-Bellevue-SW02…
		return this.links.find((entry) => {
			const slug = deviceName(entry.site, 'RTR').replace(/-RTR01$/, '-');
			return device.toLowerCase().startsWith(slug.toLowerCase());
		});
	}

	private routes(): void {
		const app = this.app;
		app.addHook('onRequest', async (request, reply) => {
			if (request.url.startsWith('/__sim/')) return;
			if (request.headers[PHIBEE_API_KEY_HEADER.toLowerCase()] !== this.apiKey) {
				return error(reply, 401, 'unauthorized', 'missing or invalid API key');
			}
		});
		app.setNotFoundHandler((request, reply) =>
			error(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
		);
		app.setErrorHandler((failure: { statusCode?: number; message: string }, _request, reply) =>
			error(reply, failure.statusCode ?? 500, 'bad_request', failure.message),
		);

		app.post(PHIBEE_ROUTES.diagnoseOutage.path, async (request, reply) =>
			this.handleDiagnose(request, reply),
		);

		app.get(PHIBEE_ROUTES.linkStatus.path, async (request, reply) => {
			const { link_id } = request.params as { link_id: string };
			const entry = this.links.find((candidate) => candidate.link.link_id === link_id);
			return entry
				? this.status(entry)
				: error(reply, 404, 'not_found', `unknown link "${link_id}"`);
		});

		app.get(PHIBEE_ROUTES.getLink.path, async (request, reply) => {
			const { link_id } = request.params as { link_id: string };
			const entry = this.links.find((candidate) => candidate.link.link_id === link_id);
			return entry ? entry.link : error(reply, 404, 'not_found', `unknown link "${link_id}"`);
		});

		app.get(PHIBEE_ROUTES.listLinks.path, async (request, reply) => {
			const { client_id, limit } = request.query as { client_id?: string; limit?: string };
			if (client_id !== undefined && !this.byClient(client_id))
				return error(reply, 404, 'not_found', `unknown client "${client_id}"`);
			const links = this.links
				.filter((entry) => client_id === undefined || entry.link.client_id === client_id)
				.map((entry) => entry.link);
			return { links: limit ? links.slice(0, Number(limit)) : links };
		});

		app.get(PHIBEE_ROUTES.clientIncidents.path, async (request, reply) => {
			const { client_id } = request.params as { client_id: string };
			const { status = 'all' } = request.query as { status?: string };
			if (!(INCIDENT_FILTERS as readonly string[]).includes(status)) {
				return error(
					reply,
					400,
					'bad_request',
					`status must be one of ${INCIDENT_FILTERS.join(', ')}`,
				);
			}
			const entry = this.byClient(client_id);
			if (!entry) return error(reply, 404, 'not_found', `unknown client "${client_id}"`);
			const incidents = entry.incidents.filter(
				(incident) => status === 'all' || incident.status === status,
			);
			return { client_id, incidents };
		});
	}

	private handleDiagnose(request: FastifyRequest, reply: FastifyReply) {
		const parsed = outageRequest.safeParse(request.body ?? {});
		if (!parsed.success)
			return error(reply, 400, 'bad_request', 'body must be {client_id?, ip?, device?}');
		const { client_id, ip, device } = parsed.data;
		if (!client_id && !ip && !device)
			return error(reply, 400, 'bad_request', 'give client_id, ip or device');
		const matches: Array<[string, SeededLink | undefined]> = [];
		if (client_id) matches.push([`client "${client_id}"`, this.byClient(client_id)]);
		if (ip) matches.push([`IP ${ip}`, this.links.find((entry) => entry.link.wan_ip === ip)]);
		if (device) matches.push([`device "${device}"`, this.byDevice(device)]);
		const missing = matches.find(([, entry]) => !entry);
		if (missing) return error(reply, 404, 'not_found', `no Phibee link for ${missing[0]}`);
		const linkIds = new Set(matches.map(([, entry]) => entry!.link.link_id));
		if (linkIds.size > 1)
			return error(
				reply,
				400,
				'bad_request',
				`${matches.map(([label]) => label).join(', ')} point to different links`,
			);
		return this.diagnose(matches[0][1]!);
	}
}

export function createPhibeeSimulator(options: PhibeeSimulatorOptions = {}): PhibeeSimulator {
	return new PhibeeSimulator(options);
}
