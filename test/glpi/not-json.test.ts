import { pageTitle } from '../../core/http/client';
import { failure } from '../support/timed';
import { glpiHarness } from './support';

const HINT = 'probably an SSO login page or a proxy in front of apirest.php; check the API URL';
const signIn = (operation: string) => `GLPI (${operation}): GLPI answered HTML instead of JSON (HTTP 200, <title>Sign in</title>): ${HINT}`;

describe('GLPI behind an SSO gateway, captive portal or proxy answering 200 with a page', () => {
	const h = glpiHarness();

	it('a login page on every route is an error, never "no new tickets"', async () => {
		h.sim.fault({ fault: { mode: 'html_login' } });
		const { error } = await failure(h.run('glpi.search_new_tickets', { sinceMinutes: 60 }));
		expect(error.name).toBe('WidipError');
		expect(error.kind).toBe('unavailable');
		expect(error.message).toBe(signIn('glpi.search_new_tickets'));
		// the page's title, never its body
		expect(error.message).not.toMatch(/form|password|Mot de passe/i);
	});

	it('a login page for initSession only fails every operation with the same explanation', async () => {
		h.sim.fault({ fault: { mode: 'html_login' }, pathIncludes: '/initSession' });
		for (const [operation, args] of [
			['glpi.search_new_tickets', { sinceMinutes: 60 }],
			['glpi.get_ticket', { ticketId: 1 }],
			['glpi.create_ticket', { title: 'Routeur HS', content: 'x' }],
		] as const) {
			const { error } = await failure(h.run(operation, args));
			expect(error.message).toBe(signIn(operation));
		}
		expect(h.sim.seen('POST', '/Ticket')).toHaveLength(0);
	});

	it('a login page after the session opened (the gateway\'s own session expired): reads and writes fail, nothing is created', async () => {
		const glpi = h.client();
		expect((await h.run('glpi.health_ping', {}, glpi)).healthy).toBe(true);
		h.sim.fault({ fault: { mode: 'html_login', title: 'Portail captif\n  — Connexion' } });
		const tickets = h.sim.state.tickets.size;
		const read = await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
		expect(read.error.message).toBe(`GLPI (glpi.get_ticket): GLPI answered HTML instead of JSON (HTTP 200, <title>Portail captif — Connexion</title>): ${HINT}`);
		const write = await failure(h.run('glpi.create_ticket', { title: 'Routeur HS', content: 'x' }, glpi));
		expect(write.error.message).toMatch(/^GLPI \(glpi\.create_ticket\): GLPI answered HTML instead of JSON/);
		expect(h.sim.seen('POST', '/Ticket')).toHaveLength(1); // a write is still sent once only
		expect(h.sim.state.tickets.size).toBe(tickets);
	});

	it('Ping reports unhealthy with the reason, whether the page answers everything or initSession only', async () => {
		h.sim.fault({ fault: { mode: 'html_login' }, pathIncludes: '/initSession' });
		const atLogin = await h.run('glpi.health_ping', {});
		expect(atLogin).toEqual({ healthy: false, latencyMs: expect.any(Number), message: signIn('glpi.health_ping') });
		h.sim.clearFaults();

		const glpi = h.client();
		expect((await h.run('glpi.health_ping', {}, glpi)).healthy).toBe(true);
		h.sim.fault({ fault: { mode: 'html_login' }, pathIncludes: '/getActiveProfile' });
		expect(await h.run('glpi.health_ping', {}, glpi)).toMatchObject({ healthy: false, message: signIn('glpi.health_ping') });
	});

	it('a plain-text 200 is an error too, naming its type', async () => {
		h.sim.fault({ fault: { mode: 'plain_text', body: 'Service Unavailable - Zero size object' } });
		const { error } = await failure(h.run('glpi.search_client', { value: 'Dubois' }));
		expect(error.message).toBe(`GLPI (glpi.search_client): GLPI answered text/plain instead of JSON (HTTP 200): ${HINT}`);
	});

	it('the same faults are reachable over HTTP, and POST /__sim/reset clears them', async () => {
		const control = (path: string, body?: unknown) =>
			fetch(`${h.sim.url}/__sim/${path}`, { method: 'POST', headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
		await control('fault', { fault: { mode: 'html_login' }, pathIncludes: '/initSession' });
		expect((await h.run('glpi.health_ping', {})).healthy).toBe(false);
		await control('reset');
		expect((await h.run('glpi.health_ping', {})).healthy).toBe(true);
	});

	it('pageTitle keeps a title short and on one line', () => {
		expect(pageTitle('<html><head><TITLE lang="fr">\n Sign\n in </TITLE>')).toBe('Sign in');
		expect(pageTitle('<html><body>no title</body>')).toBeUndefined();
		expect(pageTitle(`<title>${'x'.repeat(500)}</title>`)).toHaveLength(80);
	});
});
