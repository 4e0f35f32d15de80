import { catalogue } from '../../core/catalogue';
import { GlpiClient } from '../../core/glpi/client';
import type { GlpiConfigInput } from '../../core/glpi/config';
import { PRIORITY, TICKET_STATUS, TICKET_TYPE, URGENCY_IMPACT } from '../../core/glpi/constants';
import { createGlpiSimulator, type GlpiSimulator } from '../../sandbox/simulators/glpi/server';
import { glpiNow } from '../../sandbox/simulators/glpi/state';
import { captureLogger } from '../support/capture-logger';
import { failure } from '../support/timed';

const USER_TOKEN = 'widip-sim-user-token';
const APP_TOKEN = 'app-token-for-tests-0123';

describe('GLPI client against the GLPI simulator', () => {
	let sim: GlpiSimulator;
	let url: string;
	const logger = captureLogger();
	const outputs: unknown[] = [];
	const clients: GlpiClient[] = [];

	function client(extra: Partial<GlpiConfigInput> = {}): GlpiClient {
		const glpi = new GlpiClient({ url, userToken: USER_TOKEN, appToken: APP_TOKEN, timeZone: 'UTC', timeoutMs: 3000, ...extra }, logger);
		clients.push(glpi);
		return glpi;
	}
	async function run(id: string, args: unknown, glpi = client()) {
		const output = await catalogue.run(id, args, { glpi });
		outputs.push(output);
		return output as Record<string, any>;
	}

	beforeEach(async () => {
		sim = createGlpiSimulator({ appToken: APP_TOKEN });
		url = `${await sim.start()}/apirest.php`;
	});
	afterEach(async () => {
		await Promise.all(clients.splice(0).map((glpi) => glpi.close()));
		await sim.stop();
	});
	afterAll(() => {
		// No token ever reaches a log line or an operation output.
		const everything = [...logger.lines, JSON.stringify(outputs)].join('\n');
		expect(logger.lines.length).toBeGreaterThan(0);
		expect(everything).not.toContain(USER_TOKEN);
		expect(everything).not.toContain(APP_TOKEN);
		expect(everything).not.toContain('widip-sim-password');
	});

	it('finds clients by name, by whole e-mail and by phone, from search results keyed by option id', async () => {
		const byName = await run('glpi.search_client', { searchBy: 'name', value: 'Dubois' });
		expect(byName.total).toBeGreaterThan(0);
		for (const person of byName.clients) expect(`${person.login} ${person.firstname} ${person.lastname}`).toMatch(/dubois/i);
		const someone = byName.clients[0];
		expect(someone.id).toEqual(expect.any(Number));

		const byEmail = await run('glpi.search_client', { searchBy: 'email', value: someone.email });
		expect(byEmail.clients.map((c: { id: number }) => c.id)).toEqual([someone.id]);
		// an e-mail matches whole, not as a fragment
		const partial = await run('glpi.search_client', { searchBy: 'email', value: someone.email.slice(1) });
		expect(partial.clients).toEqual([]);

		const byPhone = await run('glpi.search_client', { searchBy: 'phone', value: someone.phone });
		expect(byPhone.clients.map((c: { id: number }) => c.id)).toContain(someone.id);
		const search = sim.seen('GET', '/search/User')[1]; // the e-mail search
		expect(search.query).toMatchObject({ 'criteria[0][field]': '5', 'criteria[0][value]': expect.any(String) });
	});

	it('pages through 206 Partial Content until all 120 matches are read', async () => {
		for (let i = 0; i < 120; i++) sim.state.addUser({ name: `pagination.${i}`, realname: 'Paginé', firstname: `Agent${i}` });
		const before = sim.seen('GET', '/search/User').length;
		const result = await run('glpi.search_client', { searchBy: 'name', value: 'pagination.', limit: 500 });
		expect(result.total).toBe(120);
		expect(result.clients).toHaveLength(120);
		expect(new Set(result.clients.map((c: { id: number }) => c.id)).size).toBe(120);
		const pages = sim.seen('GET', '/search/User').slice(before).map((r) => r.query.range);
		expect(pages).toEqual(['0-49', '50-99', '100-149']);
	});

	it('renews an expired session once and the call succeeds', async () => {
		const glpi = client();
		await run('glpi.get_ticket', { ticketId: 1 }, glpi);
		sim.expireSessions();
		const ticket = await run('glpi.get_ticket', { ticketId: 1 }, glpi);
		expect(ticket.id).toBe(1);
		expect(sim.seen('GET', '/initSession')).toHaveLength(2);
	});

	it('closes its session with killSession on shutdown', async () => {
		const glpi = client();
		await run('glpi.health_ping', {}, glpi);
		expect(sim.state.sessions.size).toBe(1);
		await glpi.close();
		expect(sim.seen('GET', '/killSession')).toHaveLength(1);
		expect(sim.state.sessions.size).toBe(0);
	});

	it('reuses one session for many calls', async () => {
		const glpi = client();
		await Promise.all([1, 1, 1].map(() => run('glpi.get_ticket', { ticketId: 1 }, glpi)));
		expect(sim.seen('GET', '/initSession')).toHaveLength(1);
	});

	it('a wrong user token or App-Token is a clear authentication error, without the token', async () => {
		const wrongUser = await failure(run('glpi.search_client', { value: 'Dubois' }, client({ userToken: 'not-the-right-token' })));
		expect(wrongUser.error.kind).toBe('auth');
		expect(wrongUser.error.message).toBe(
			'GLPI (glpi.search_client): authentication refused (HTTP 401 ERROR_GLPI_LOGIN_USER_TOKEN: parameter user_token seems invalid)',
		);
		const wrongApp = await failure(run('glpi.search_client', { value: 'Dubois' }, client({ appToken: 'wrong-app-token' })));
		expect(wrongApp.error.kind).toBe('auth');
		expect(wrongApp.error.message).toContain('ERROR_WRONG_APP_TOKEN_PARAMETER');
		expect(wrongApp.error.message).not.toContain('wrong-app-token');
	});

	it('login and password work as the other way in', async () => {
		const glpi = client({ userToken: undefined, login: 'tech.widip', password: 'widip-sim-password' });
		expect((await run('glpi.health_ping', {}, glpi)).healthy).toBe(true);
	});

	it('creates a ticket and reads it back as raw text (not HTML-escaped)', async () => {
		const title = 'Imprimante "RDC" <HS> & câble débranché';
		const created = await run('glpi.create_ticket', { title, content: '<p>Poste infirmier n°2</p>', entityId: 1, urgency: 4, impact: 4 });
		expect(created).toEqual({ id: expect.any(Number), created: true });
		const ticket = await run('glpi.get_ticket', { ticketId: created.id });
		expect(ticket.title).toBe(title);
		expect(ticket.content).toBe('<p>Poste infirmier n°2</p>');
		expect(ticket).toMatchObject({ status: 1, statusLabel: 'new', urgency: 4, impact: 4, priority: 4, entity: 'Entité racine > EHPAD Bellevue' });
		// the simulator, like GLPI 10, escapes text for clients that do not opt out: `&`, `<`, `>` only
		const raw = await fetch(`${url}/Ticket/${created.id}`, {
			headers: { 'App-Token': APP_TOKEN, 'Session-Token': sim.state.openSession(1) },
		}).then((response) => response.json() as Promise<{ name: string }>);
		expect(raw.name).toBe('Imprimante "RDC" &#60;HS&#62; &#38; câble débranché');
	});

	it('a create retried after a lost answer never makes two tickets when it has an idempotency key', async () => {
		const key = 'observium-alert-9827-1600532824';
		sim.fault({ fault: { mode: 'lose_response' }, method: 'POST', pathIncludes: '/Ticket', times: 1 });
		const first = await run('glpi.create_ticket', { title: 'Routeur injoignable', content: 'EHPAD-Bellevue-RTR01 down', idempotencyKey: key });
		const again = await run('glpi.create_ticket', { title: 'Routeur injoignable', content: 'EHPAD-Bellevue-RTR01 down', idempotencyKey: key });
		expect(again).toEqual({ id: first.id, created: false });
		const withKey = [...sim.state.tickets.values()].filter((ticket) => ticket.content.includes(key));
		expect(withKey).toHaveLength(1);
		expect(sim.seen('POST', '/Ticket')).toHaveLength(1);
	});

	it('without an idempotency key, a lost answer is an error and the write is not sent again', async () => {
		sim.fault({ fault: { mode: 'lose_response' }, method: 'POST', pathIncludes: '/Ticket', times: 1 });
		const count = sim.state.tickets.size;
		const { error } = await failure(run('glpi.create_ticket', { title: 'Sans clé', content: 'x' }));
		expect(error.kind).toBe('unavailable');
		expect(error.message).toMatch(/^GLPI \(glpi\.create_ticket\): /);
		expect(sim.seen('POST', '/Ticket')).toHaveLength(1);
		expect(sim.state.tickets.size).toBe(count + 1); // GLPI did create it: the answer was lost
	});

	it('ticket statuses, priorities, urgency/impact and types are GLPI\'s codes', () => {
		expect(TICKET_STATUS).toEqual({ 1: 'new', 2: 'processing (assigned)', 3: 'processing (planned)', 4: 'pending', 5: 'solved', 6: 'closed' });
		expect(Object.keys(PRIORITY).map(Number)).toEqual([1, 2, 3, 4, 5, 6]);
		expect(PRIORITY[6]).toBe('major');
		expect(Object.keys(URGENCY_IMPACT).map(Number)).toEqual([1, 2, 3, 4, 5]);
		expect(TICKET_TYPE).toEqual({ 1: 'incident', 2: 'request' });
		expect(() => catalogue.parseInput('glpi.create_ticket', { title: 'abc', content: 'x', urgency: 6 })).toThrow(/urgency/);
		expect(() => catalogue.parseInput('glpi.create_ticket', { title: 'abc', content: 'x', priority: 7 })).toThrow(/priority/);
	});

	it('updates a status; solving or closing goes only through Close Ticket', async () => {
		expect(await run('glpi.update_status', { ticketId: 1, status: 4 })).toEqual({ ticketId: 1, status: 4, statusLabel: 'pending' });
		expect(sim.state.tickets.get(1)!.status).toBe(4);
		expect(() => catalogue.parseInput('glpi.update_status', { ticketId: 1, status: 6 })).toThrow(/status/);
	});

	it('adds followups, closes with a solution, and refuses to solve twice', async () => {
		await run('glpi.add_followup', { ticketId: 1, content: 'Technicien en route', isPrivate: true });
		const closed = await run('glpi.close_ticket', { ticketId: 1, solution: 'Cartouche remplacée' });
		expect(closed).toMatchObject({ ticketId: 1, status: 6 });
		const ticket = await run('glpi.get_ticket', { ticketId: 1 });
		expect(ticket.status).toBe(6);
		expect(ticket.closedAt).toEqual(expect.any(String));
		expect(ticket.followups).toEqual([expect.objectContaining({ content: 'Technicien en route', isPrivate: true })]);
		expect(ticket.solution).toMatchObject({ content: 'Cartouche remplacée' });
		const again = await failure(run('glpi.close_ticket', { ticketId: 1, solution: 'encore' }));
		expect(again.error.message).toMatch(/^GLPI \(glpi\.close_ticket\): request refused \(HTTP 400 ERROR_GLPI_ADD: The item is already solved/);
	});

	it('closes at once where the entity auto-closes', async () => {
		sim.state.entities.get(2)!.autoclose = true;
		const { id } = sim.state.addTicket({ name: 'Wifi', content: 'x', entities_id: 2 });
		await run('glpi.close_ticket', { ticketId: id, solution: 'Borne redémarrée' });
		expect(sim.state.tickets.get(id)!.status).toBe(6);
		expect(sim.state.solutions.at(-1)!.status).toBe(3);
	});

	it('solves with a solution: status 5, the requester may still refuse it; a second solution is refused; an auto-closing entity closes it', async () => {
		const { id } = sim.state.addTicket({ name: 'Mot de passe oublié', content: 'x', entities_id: 1 });
		const solved = await run('glpi.solve_ticket', { ticketId: id, solution: 'Mot de passe réinitialisé ; lien envoyé' });
		expect(solved).toEqual({ ticketId: id, solutionId: expect.any(Number), status: 5, statusLabel: 'solved' });
		const ticket = await run('glpi.get_ticket', { ticketId: id });
		expect(ticket).toMatchObject({ status: 5, closedAt: null, solution: { content: 'Mot de passe réinitialisé ; lien envoyé', status: 2 } });
		expect(ticket.solvedAt).toEqual(expect.any(String));
		const again = await failure(run('glpi.solve_ticket', { ticketId: id, solution: 'encore' }));
		expect(again.error.message).toMatch(/^GLPI \(glpi\.solve_ticket\): request refused \(HTTP 400 ERROR_GLPI_ADD: The item is already solved/);
		expect(sim.state.solutions.filter((solution) => solution.items_id === id)).toHaveLength(1);

		sim.state.entities.get(2)!.autoclose = true;
		const wifi = sim.state.addTicket({ name: 'Wifi', content: 'x', entities_id: 2 });
		expect(await run('glpi.solve_ticket', { ticketId: wifi.id, solution: 'Borne redémarrée' })).toMatchObject({ status: 6, statusLabel: 'closed' });
	});

	it('lists only new tickets opened in the window, oldest first', async () => {
		const old = sim.state.addTicket({ name: 'Ancien', content: 'x', date: glpiNow(new Date(Date.now() - 2 * 3600_000)) });
		const recentB = sim.state.addTicket({ name: 'Récent B', content: 'x', date: glpiNow(new Date(Date.now() - 5 * 60_000)) });
		const recentA = sim.state.addTicket({ name: 'Récent A', content: 'x', date: glpiNow(new Date(Date.now() - 20 * 60_000)) });
		sim.state.addTicket({ name: 'Déjà pris', content: 'x', status: 2 });
		const result = await run('glpi.search_new_tickets', { sinceMinutes: 60 });
		const ids = result.tickets.map((t: { id: number }) => t.id);
		expect(ids).toEqual([recentA.id, recentB.id]);
		expect(ids).not.toContain(old.id);
		expect(result.tickets[0]).toMatchObject({ status: 1, statusLabel: 'new' });
	});

	it('an unknown ticket is a clear not-found error', async () => {
		const { error } = await failure(run('glpi.get_ticket', { ticketId: 99999 }));
		expect(error.kind).toBe('not_found');
		expect(error.message).toBe('GLPI (glpi.get_ticket): not found (HTTP 404 ERROR_ITEM_NOT_FOUND: Item not found)');
	});

	describe('failure paths, each within the configured timeout', () => {
		it('down', async () => {
			sim.fault({ fault: { mode: 'down' } });
			const { error, elapsedMs: ms } = await failure(run('glpi.search_client', { value: 'Dubois' }, client({ timeoutMs: 1500 })));
			expect(error.kind).toBe('unavailable');
			expect(error.message).toMatch(/^GLPI \(glpi\.search_client\): http:\/\/127\.0\.0\.1:\d+ is unreachable/);
			expect(ms).toBeLessThan(1700);
		});

		it('slow: a timeout, not a hang', async () => {
			sim.fault({ fault: { mode: 'slow', delayMs: 5000 } });
			const { error, elapsedMs: ms } = await failure(run('glpi.search_client', { value: 'Dubois' }, client({ timeoutMs: 800 })));
			expect(error.kind).toBe('timeout');
			expect(error.message).toBe('GLPI (glpi.search_client): no answer within 800 ms');
			expect(ms).toBeGreaterThanOrEqual(750);
			expect(ms).toBeLessThan(1300);
		});

		it('429 with a Retry-After longer than the budget fails at once and says when to retry', async () => {
			sim.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 30 } });
			const { error, elapsedMs: ms } = await failure(run('glpi.get_ticket', { ticketId: 1 }, client({ timeoutMs: 2000 })));
			expect(error.kind).toBe('rate_limited');
			expect(error.retryAfterSeconds).toBe(30);
			expect(error.message).toMatch(/^GLPI \(glpi\.get_ticket\): rate limited \(HTTP 429.*\), retry after 30 s$/);
			expect(ms).toBeLessThan(500);
		});

		it('429 with a short Retry-After is waited out on a read', async () => {
			const glpi = client({ timeoutMs: 4000 });
			await run('glpi.health_ping', {}, glpi); // session first
			sim.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 1 }, pathIncludes: '/Ticket/1', times: 1 });
			const started = Date.now();
			expect((await run('glpi.get_ticket', { ticketId: 1 }, glpi)).id).toBe(1);
			expect(Date.now() - started).toBeGreaterThanOrEqual(950);
		});

		it('500 on a read is retried with backoff and succeeds', async () => {
			const glpi = client();
			await run('glpi.health_ping', {}, glpi);
			sim.fault({ fault: { mode: 'status', status: 500 }, pathIncludes: '/search/User', times: 1 });
			const result = await run('glpi.search_client', { value: 'Dubois' }, glpi);
			expect(result.total).toBeGreaterThan(0);
			expect(sim.seen('GET', '/search/User')).toHaveLength(2);
		});

		it('500 that persists is a clear error after the retries', async () => {
			sim.fault({ fault: { mode: 'status', status: 500 }, pathIncludes: '/search/User' });
			const { error, elapsedMs: ms } = await failure(run('glpi.search_client', { value: 'Dubois' }, client({ timeoutMs: 3000 })));
			expect(error.message).toBe('GLPI (glpi.search_client): server error (HTTP 500 ERROR: Simulated HTTP 500)');
			expect(sim.seen('GET', '/search/User')).toHaveLength(3);
			expect(ms).toBeLessThan(3000);
		});

		it('500 on a write is not retried blindly', async () => {
			sim.fault({ fault: { mode: 'status', status: 500 }, method: 'POST' });
			const { error } = await failure(run('glpi.add_followup', { ticketId: 1, content: 'x' }));
			expect(error.message).toMatch(/^GLPI \(glpi\.add_followup\): server error \(HTTP 500/);
			expect(sim.seen('POST', '/ITILFollowup')).toHaveLength(1);
		});

		it("status check reads status.php?service=db without a session; PROBLEM, an HTML page or no answer is unhealthy", async () => {
			expect(await run('glpi.status_check', {}, client())).toEqual({ healthy: true, status: 'OK', latencyMs: expect.any(Number), message: 'GLPI database status OK' });
			expect(sim.seen('GET', '/initSession')).toHaveLength(0);
			expect(sim.seen('GET', '/status.php')).toHaveLength(1);
			sim.databaseStatus = 'WARNING';
			expect((await run('glpi.status_check', {}, client())).healthy).toBe(true);
			sim.databaseStatus = 'PROBLEM';
			expect(await run('glpi.status_check', {}, client())).toMatchObject({ healthy: false, status: 'PROBLEM' });
			sim.databaseStatus = 'OK';
			sim.fault({ fault: { mode: 'status', status: 502 }, pathIncludes: '/status.php', times: 1 });
			expect(await run('glpi.status_check', {}, client())).toMatchObject({ healthy: false, status: 'UNREACHABLE', message: expect.stringMatching(/HTTP 502/) });
			sim.fault({ fault: { mode: 'down' } });
			const down = await run('glpi.status_check', {}, client({ timeoutMs: 1000 }));
			expect(down).toMatchObject({ healthy: false, status: 'UNREACHABLE', message: expect.stringMatching(/unreachable/) });
		});

		it('health ping reports down with the reason instead of failing', async () => {
			sim.fault({ fault: { mode: 'down' } });
			const ping = await run('glpi.health_ping', {}, client({ timeoutMs: 1000 }));
			expect(ping.healthy).toBe(false);
			expect(ping.message).toMatch(/GLPI \(glpi\.health_ping\): .* is unreachable/);
		});
	});
});
