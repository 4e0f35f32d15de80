import path from 'node:path';

import type { ReceivedMail } from '../../../sandbox/simulators/smtp-sink';
import { SANDBOX_SECRETS } from '../../../sandbox/simulators';
import { ALERT } from '../../observium/alert-fixture';
import { ADDRESSES, eventually, FlowWorld, SCENARIOS, WORKFLOWS } from './world';

jest.setTimeout(600_000);

const FLOWS = ['proactif.json', 'proactif-ticket.json', 'health-check.json'].map((file) => path.join(WORKFLOWS, file));
const HOOK = 'widip-proactif-observium';
/** Time compressed: Health-Check every 2 s instead of 30, the outage mail every 8 s instead of 300. */
const TIMING = {
	WIDIP_FLOW_HEALTH_INTERVAL_SECONDS: '2',
	WIDIP_FLOW_GLPI_FAILURE_THRESHOLD: '2',
	WIDIP_FLOW_GLPI_WINDOW_SECONDS: '6',
	WIDIP_FLOW_GLPI_OPEN_SECONDS: '2',
	WIDIP_FLOW_GLPI_ALERT_INTERVAL_SECONDS: '8',
	WIDIP_FLOW_GLPI_HEALTH_TTL_SECONDS: '6',
	WIDIP_FLOW_RESOLUTION_HOLD_SECONDS: '3',
};

/**
 * Issue 14, Proactif v9 and Health-Check v3 as WIDIP runs them: deployed by `widip deploy` into a
 * real n8n 2.41.1; Observium's webhook (shared-secret header); the incident engine; n8n's AI Agent
 * with n8n's Ollama Chat Model (through the runtime's GPU proxy, Proactif priority) and n8n's MCP
 * Client Tool on the runtime's sentinel toolset; the GLPI simulator; mails in an SMTP sink.
 */
describe('Proactif v9 + Health-Check v3 in a real n8n, deployed by widip deploy', () => {
	let world: FlowWorld;
	let alertSeq = 0;

	beforeAll(async () => {
		world = await FlowWorld.start({ name: 'flowsproactif', scenario: path.join(SCENARIOS, 'proactif.json') });
		const deployed = await world.deploy(FLOWS, world.variables(TIMING));
		if (deployed.code !== 0) throw new Error(`widip deploy failed (${deployed.code}):\n${deployed.stdout}\n${deployed.stderr}`);
		await world.webhookReady(HOOK);
	}, 40 * 60_000);
	afterAll(async () => {
		await world?.close();
	});

	/** Observium's webhook transport: its notification tags as a JSON body. */
	function tags(host: string, location: string, state: 'ALERT' | 'RECOVER', severity = 'Warning') {
		alertSeq++;
		return {
			...ALERT,
			ALERT_STATE: state,
			ALERT_STATUS: state === 'RECOVER' ? '1' : '0',
			ALERT_SEVERITY: severity,
			// Each notification its own time and id, as Observium sends them.
			ALERT_UNIXTIME: Math.floor(Date.now() / 1000) + alertSeq,
			ALERT_TIMESTAMP: undefined,
			ALERT_ID: String(5000 + alertSeq),
			DEVICE_HOSTNAME: host,
			DEVICE_SYSNAME: `${host}.widip.lan`,
			ENTITY_NAME: host,
			ENTITY_DESCRIPTION: `${host} router`,
			DEVICE_LOCATION: location,
			TITLE: `${state}: [${host}] [device] up/down`,
		};
	}

	async function post(body: unknown, secret = world.webhookSecret): Promise<{ status: number; json: Record<string, unknown> }> {
		const response = await fetch(`${world.harness.baseUrl}/webhook/${HOOK}`, {
			method: 'POST',
			headers: { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json', authorization: `Basic ${Buffer.from(`observium:${secret}`).toString('base64')}` },
			body: typeof body === 'string' ? body : JSON.stringify(body),
		});
		const text = await response.text();
		let json: Record<string, unknown> = {};
		try {
			json = JSON.parse(text);
		} catch {
			json = { text };
		}
		return { status: response.status, json };
	}

	let proactifId = '';
	/** What Intake decided for one alert, read from the Proactif execution n8n kept for it. */
	async function decisionOf(alertId: string | number, timeoutMs = 60_000): Promise<{ decision: string; reason: string; incident: string | null }> {
		proactifId ||= await world.workflowId('WIDIP Proactif v9');
		return await eventually(async () => {
			for (const execution of await world.executions(proactifId)) {
				const runData = (execution.data?.resultData?.runData ?? {}) as Record<string, Array<{ data?: { main: Array<Array<{ json: Record<string, unknown> }> | null> } }>>;
				const alert = runData['Observium Alert']?.[0]?.data?.main[0]?.[0]?.json;
				if (String(alert?.alertId) !== String(alertId)) continue;
				const decided = (runData['Intake Alert']?.[0]?.data?.main ?? []).flatMap((items) => items ?? [])[0]?.json;
				if (!decided) continue;
				const incident = decided.incident as { id?: string } | null;
				return { decision: String(decided.decision), reason: String(decided.reason), incident: incident?.id ?? null };
			}
			return undefined;
		}, timeoutMs, `the decision on alert ${alertId}`);
	}

	const ticketsFor = (host: string) => [...world.sims.glpi.state.tickets.values()].filter((ticket) => ticket.content.includes(host));
	const followupsOf = (ticketId: number) => world.sims.glpi.state.followups.filter((followup) => followup.items_id === ticketId);
	/** Mails to one address about one ticket: their subject names it as "n°<id>". */
	async function mailsTo(address: string, ticketId: number | string): Promise<ReceivedMail[]> {
		const about = new RegExp(`n°${ticketId}(?!\\d)`);
		return (await world.sims.smtp.messages()).filter((mail) => mail.recipients.includes(address) && about.test(mail.parsed.subject ?? ''));
	}

	it('refuses an alert without the shared secret (401) and starts nothing', async () => {
		const before = world.sims.glpi.state.tickets.size;
		const body = tags('EHPAD-Les-Mimosas-SW01', 'EHPAD Les Mimosas, Chambéry', 'ALERT');
		expect((await post(body, 'wrong-secret-0123456789abcdef')).status).toBe(401);
		const unauthenticated = await fetch(`${world.harness.baseUrl}/webhook/${HOOK}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		expect(unauthenticated.status).toBe(401);
		expect(await world.executions(await world.workflowId('WIDIP Proactif v9'))).toEqual([]);
		expect(await world.probe.redis.keys(`${world.prefix}incident:id:*`)).toEqual([]);
		expect(world.sims.glpi.state.tickets.size).toBe(before);
	});

	it('a body that is no Observium alert (an HTML page, an empty object, tags missing) gets 400 with the reason and starts nothing', async () => {
		const before = world.sims.glpi.state.tickets.size;
		for (const body of ['<html><body>502 Bad Gateway</body></html>', {}, { ALERT_STATE: 'ALERT' }]) {
			const answer = await post(body);
			expect(answer.status).toBe(400);
			expect(String(answer.json.error)).toMatch(/^not an Observium alert: /);
		}
		expect(await world.executions(await world.workflowId('WIDIP Proactif v9'))).toEqual([]);
		expect(await world.probe.redis.keys(`${world.prefix}incident:id:*`)).toEqual([]);
		expect(world.sims.glpi.state.tickets.size).toBe(before);
	});

	it('one down alert → exactly one ticket with the Sentinel\'s diagnosis and one mail to on-call (warning: no supervisor mail)', async () => {
		const host = 'EHPAD-Les-Tilleuls-RTR01';
		world.sims.observium.setDeviceStatus(host, 'down');
		const answer = await post(tags(host, 'EHPAD Les Tilleuls, Villeurbanne', 'ALERT', 'Warning'));
		// Observium gets its answer at once; the execution carries only the normalised alert.
		expect(answer).toMatchObject({ status: 200, json: { accepted: true, state: 'ALERT', device: host } });
		const decided = await decisionOf(String(answer.json.alertId));
		expect(decided).toMatchObject({ decision: 'new', reason: 'first_alert' });
		const incidentId = String(decided.incident);
		const [ticket] = await eventually(async () => ticketsFor(host).length > 0 && ticketsFor(host), 60_000, 'the ticket');
		await eventually(async () => (await mailsTo(ADDRESSES.oncall, String(ticket.id))).length > 0, 30_000, 'the on-call mail');
		// The diagnosis is the Sentinel's: Observium then Phibee (router_down at Les Tilleuls), in the fixed structure.
		expect(ticket.content).toContain(`Incident WIDIP ${incidentId}`);
		expect(ticket.content).toContain('Responsabilité : router_client');
		expect(ticket.content).toContain(`Le lien Phibee est actif mais le routeur ${host} ne répond plus sur le WAN.`);
		expect(ticket.content).toContain(`Action recommandée : Faire redémarrer ${host}`);
		expect(ticket.name).not.toContain('[CRITIQUE]');
		// The incident knows its ticket and its diagnosis.
		const incident = (await world.probe.incidents.get(incidentId))!;
		expect(incident).toMatchObject({ ticketId: ticket.id, diagnosis: { text: expect.stringContaining('router_client') } });
		// The agent called its read-only tools through the runtime's MCP server (Safeguard audited them as face mcp).
		const audit = await world.audit();
		const calls = audit.filter((entry) => entry.event === 'decision' && entry.actor === 'sentinel').map((entry) => entry.operationId);
		expect(calls).toEqual(expect.arrayContaining(['observium.device_status', 'phibee.diagnose_outage']));
		// The model was reached through the GPU proxy, queued with the Proactif priority (its key's).
		const chats = world.sims.ollama.records().filter((record) => record.path === '/api/chat');
		expect(chats.length).toBeGreaterThanOrEqual(3);
		expect(new Set(chats.map((record) => record.priorityHeader))).toEqual(new Set(['proactif']));
		// Exactly one: no second ticket, one mail, none to the supervisor.
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect(ticketsFor(host)).toHaveLength(1);
		expect(await mailsTo(ADDRESSES.oncall, String(ticket.id))).toHaveLength(1);
		expect(await mailsTo(ADDRESSES.supervisor, String(ticket.id))).toHaveLength(0);
	});

	it('critical → the supervisor mail too', async () => {
		const host = 'EHPAD-Bellevue-RTR01';
		world.sims.observium.setDeviceStatus(host, 'down');
		const answer = await post(tags(host, 'EHPAD Bellevue, Lyon', 'ALERT', 'Critical'));
		expect(await decisionOf(String(answer.json.alertId))).toMatchObject({ decision: 'new' });
		const [ticket] = await eventually(async () => ticketsFor(host).length > 0 && ticketsFor(host), 60_000, 'the ticket');
		expect(ticket.name).toMatch(/^\[CRITIQUE\] /);
		expect(ticket.content).toContain('Responsabilité : phibee_fai');
		await eventually(async () => (await mailsTo(ADDRESSES.supervisor, String(ticket.id))).length > 0, 30_000, 'the supervisor mail');
		expect(await mailsTo(ADDRESSES.oncall, String(ticket.id))).toHaveLength(1);
		expect(await mailsTo(ADDRESSES.supervisor, String(ticket.id))).toHaveLength(1);
	});

	it('ten flapping alerts in five minutes → one ticket, marked flapping, at most one re-notification', async () => {
		const host = 'Residence-Les-Glycines-RTR01';
		const location = 'Résidence Les Glycines, Annecy';
		const alertIds: string[] = [];
		for (let i = 0; i < 10; i++) {
			const answer = await post(tags(host, location, i % 2 === 0 ? 'ALERT' : 'RECOVER'));
			expect(answer.status).toBe(200);
			alertIds.push(String(answer.json.alertId));
			if (i === 0) await eventually(async () => ticketsFor(host).length > 0, 60_000, 'the first ticket');
			else await new Promise((resolve) => setTimeout(resolve, 150));
		}
		const decisions: string[] = [];
		for (const id of alertIds) {
			const decided = await decisionOf(id);
			decisions.push(`${decided.decision}:${decided.reason}`);
		}
		// Intake: new, recovered, reopened, flapping_started, then silence.
		expect(decisions.slice(0, 4)).toEqual(['new:first_alert', 'recovered:recovered', 'update:reopened', 'update:flapping_started']);
		expect(decisions.slice(4).every((decision) => decision.startsWith('suppressed:'))).toBe(true);
		const [ticket] = ticketsFor(host);
		await eventually(async () => followupsOf(ticket.id).some((followup) => followup.content.includes('[FLAPPING')), 30_000, 'the flapping followup');
		// Past the resolution hold: the recovery in the middle of the flapping sent no resolution mail.
		await new Promise((resolve) => setTimeout(resolve, 5000));
		expect(ticketsFor(host)).toHaveLength(1);
		const toOncall = await mailsTo(ADDRESSES.oncall, String(ticket.id));
		// The ticket's mail, then one re-notification that it is flapping.
		expect(toOncall.map((mail) => mail.parsed.subject)).toEqual([expect.not.stringContaining('flapping'), expect.stringContaining('flapping')]);
		expect((await world.probe.incidents.get(String((await world.probe.incidents.list('open', 200)).find((incident) => incident.ticketId === ticket.id)?.id)))?.flapping).toBe(true);
	});

	it('down then recover → a followup on the same ticket and the resolution mail', async () => {
		const host = 'Clinique-Saint-Joseph-RTR01';
		const location = 'Clinique Saint-Joseph, Grenoble';
		world.sims.observium.setDeviceStatus(host, 'down');
		expect(await decisionOf(String((await post(tags(host, location, 'ALERT'))).json.alertId))).toMatchObject({ decision: 'new' });
		const [ticket] = await eventually(async () => ticketsFor(host).length > 0 && ticketsFor(host), 60_000, 'the ticket');
		expect(ticket.content).toContain('Responsabilité : power');
		await eventually(async () => (await world.probe.incidents.list('open', 200)).some((incident) => incident.ticketId === ticket.id), 30_000, 'the link');
		world.sims.observium.setDeviceStatus(host, 'up');
		const recovery = await post(tags(host, location, 'RECOVER'));
		const resolution = await eventually(async () => {
			const mails = await mailsTo(ADDRESSES.oncall, String(ticket.id));
			return mails.length > 1 && mails;
		}, 30_000, 'the resolution mail');
		expect(await decisionOf(String(recovery.json.alertId))).toMatchObject({ decision: 'recovered' });
		expect(resolution).toHaveLength(2);
		expect(resolution[1].parsed.text).toContain(host);
		expect(followupsOf(ticket.id).some((followup) => followup.content.includes('recovered'))).toBe(true);
		expect(ticketsFor(host)).toHaveLength(1);
	});

	it('GLPI refusing a ticket (HTTP 400) is not GLPI down: the breaker stays closed, no outage mail, the incident is kept and ticketed on the next try', async () => {
		const host = 'EHPAD-Les-Mimosas-AP01';
		world.sims.observium.setDeviceStatus(host, 'down');
		const createsBefore = world.sims.glpi.seen('POST', '/Ticket').length;
		world.sims.glpi.fault({ fault: { mode: 'status', status: 400 }, method: 'POST', pathIncludes: '/Ticket', times: 1 });
		const answer = await post(tags(host, 'EHPAD Les Mimosas (bâtiment B), Chambéry', 'ALERT'));
		const decided = await decisionOf(String(answer.json.alertId));
		expect(decided).toMatchObject({ decision: 'new' });
		// The refused create, then Health-Check's backlog tries again (every 2 s here) and succeeds.
		const [ticket] = await eventually(async () => ticketsFor(host).length > 0 && ticketsFor(host), 60_000, 'the ticket on the retry');
		expect(world.sims.glpi.seen('POST', '/Ticket').length - createsBefore).toBe(2);
		expect((await world.probe.breakers.status('glpi')).state).toBe('closed');
		expect((await world.sims.smtp.messages()).filter((mail) => mail.parsed.subject === '[WIDIP] GLPI ne répond plus')).toHaveLength(0);
		await eventually(async () => (await mailsTo(ADDRESSES.oncall, ticket.id)).length === 1, 30_000, 'one on-call mail');
		expect(ticketsFor(host)).toHaveLength(1);
	});

	it('GLPI down: Health-Check opens the breaker, one outage mail per interval, alerts meanwhile lose nothing and are ticketed after; a recovery mail', async () => {
		const hosts = ['EHPAD-Le-Clos-Fleuri-RTR01', 'EHPAD-Les-Mimosas-RTR01'];
		const locations = ['EHPAD Le Clos Fleuri, Valence', 'EHPAD Les Mimosas, Chambéry'];
		const downMails = () => world.sims.smtp.messages().then((mails) => mails.filter((mail) => mail.parsed.subject === '[WIDIP] GLPI ne répond plus'));
		const backMails = () => world.sims.smtp.messages().then((mails) => mails.filter((mail) => mail.parsed.subject === '[WIDIP] GLPI répond à nouveau'));
		expect(await downMails()).toHaveLength(0);
		const outageStarted = Date.now();
		world.sims.glpi.fault({ fault: { mode: 'down' } });
		// Two failed checks within the window open the breaker: one mail at once.
		await eventually(async () => (await downMails()).length > 0, 30_000, 'the outage mail');
		expect((await world.probe.breakers.status('glpi')).state).not.toBe('closed');
		// Alerts during the outage: intake answers, the incidents are kept without a ticket.
		const kept: string[] = [];
		for (const [index, host] of hosts.entries()) {
			world.sims.observium.setDeviceStatus(host, 'down');
			const answer = await post(tags(host, locations[index], 'ALERT'));
			expect(answer.status).toBe(200);
			const decided = await decisionOf(String(answer.json.alertId));
			expect(decided).toMatchObject({ decision: 'new' });
			kept.push(String(decided.incident));
		}
		// The outage lasts ~20 s: mails at most one per 8 s (the compressed 5 minutes).
		while (Date.now() - outageStarted < 20_000) await new Promise((resolve) => setTimeout(resolve, 500));
		const during = await downMails();
		const sentAt = during.map((mail) => new Date(mail.parsed.date ?? 0).getTime());
		expect(during.length).toBeGreaterThanOrEqual(2);
		expect(during.length).toBeLessThanOrEqual(3);
		for (let i = 1; i < sentAt.length; i++) expect(sentAt[i] - sentAt[i - 1]).toBeGreaterThanOrEqual(7_000);
		expect(during.every((mail) => mail.recipients.includes(ADDRESSES.oncall) && mail.recipients.includes(ADDRESSES.supervisor))).toBe(true);
		// Nothing reached GLPI's ticket endpoint while it was down, and nothing is lost: both are kept.
		expect(hosts.flatMap(ticketsFor)).toHaveLength(0);
		const waiting = (await world.probe.incidents.list('open', 200, undefined, { withoutTicket: true })).map((incident) => incident.id);
		expect(waiting).toEqual(expect.arrayContaining(kept));

		world.sims.glpi.clearFaults();
		await eventually(async () => (await backMails()).length > 0, 30_000, 'the recovery mail');
		// After recovery, each kept incident gets its ticket (with the Sentinel's diagnosis) and its mail.
		for (const host of hosts) await eventually(async () => ticketsFor(host).length > 0, 60_000, `the ticket of ${host}`);
		for (const id of kept) await eventually(async () => (await world.probe.incidents.get(id))?.ticketId ?? undefined, 30_000, `the link of ${id}`);
		await new Promise((resolve) => setTimeout(resolve, 4000));
		for (const host of hosts) {
			const tickets = ticketsFor(host);
			expect(tickets).toHaveLength(1);
			expect(tickets[0].content).toContain('Diagnostic (Sentinel)');
			expect(await mailsTo(ADDRESSES.oncall, String(tickets[0].id))).toHaveLength(1);
		}
		expect(await backMails()).toHaveLength(1);
		expect((await downMails()).length).toBe(during.length);
		expect((await world.probe.breakers.status('glpi')).state).toBe('closed');
	});

	it("no secret is in n8n's execution data of the three flows, nor in n8n's log", async () => {
		const secrets = [
			world.webhookSecret,
			Buffer.from(`observium:${world.webhookSecret}`).toString('base64'),
			Buffer.from(`observium:${world.webhookSecret}`).toString('base64').slice(0, 24),
			world.agentKeys.sentinel,
			world.gpuKeys.proactif,
			world.safeguardSecret,
			SANDBOX_SECRETS.glpiUserToken,
			SANDBOX_SECRETS.smtpPassword,
			SANDBOX_SECRETS.observiumPassword,
			SANDBOX_SECRETS.phibeeApiKey,
		];
		let seen = 0;
		for (const name of ['WIDIP Proactif v9', 'WIDIP Proactif v9 · Diagnose and Ticket', 'WIDIP Health-Check v3']) {
			const executions = await world.executions(await world.workflowId(name));
			seen += executions.length;
			const text = JSON.stringify(executions);
			for (const secret of secrets) expect(text).not.toContain(secret);
		}
		expect(seen).toBeGreaterThan(10);
		for (const secret of secrets) expect(world.harness.log()).not.toContain(secret);
	});
});
