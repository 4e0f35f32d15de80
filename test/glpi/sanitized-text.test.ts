import { unescapeGlpi } from '../../core/glpi/text';
import { APP_TOKEN, glpiHarness } from './support';

/**
 * The same data read from a server that honours `X-GLPI-Sanitized-Content: false` and from one
 * that ignores it (GLPI 9.5, a proxy stripping the header) must give the same text.
 */
describe('GLPI text reads the same whether or not the server honoured X-GLPI-Sanitized-Content: false', () => {
	const h = glpiHarness();

	/** Reads with a fresh client (each learns the server's behaviour on its own), as honoured then as ignored. */
	async function bothWays(id: string, args: unknown) {
		const honoured = await h.run(id, args, h.client());
		h.sim.fault({ fault: { mode: 'ignore_sanitize_header' } });
		const ignored = await h.run(id, args, h.client());
		h.sim.clearFaults();
		return { honoured, ignored };
	}

	async function rawName(ticketId: number, sanitized: 'true' | 'false') {
		const session = h.sim.state.openSession(1);
		const answer = await fetch(`${h.url}/Ticket/${ticketId}`, { headers: { 'App-Token': APP_TOKEN, 'Session-Token': session, 'X-GLPI-Sanitized-Content': sanitized } });
		return ((await answer.json()) as { name: string }).name;
	}

	it('a ticket with markup, quotes and ampersands, its followups and solution', async () => {
		const title = 'Imprimante "RDC" <HS> & l\'écran';
		const content = '<p>L\'imprimante du 1<sup>er</sup> &amp; le scanner</p>';
		const { id } = await h.run('glpi.create_ticket', { title, content, entityId: 1 });
		await h.run('glpi.add_followup', { ticketId: id, content: 'Technicien en route <b>vite</b> & fort' });
		await h.run('glpi.close_ticket', { ticketId: id, solution: 'Câble <RJ45> remplacé & testé' });

		const { honoured, ignored } = await bothWays('glpi.get_ticket', { ticketId: id });
		expect(honoured).toMatchObject({ title, content, followups: [{ content: 'Technicien en route <b>vite</b> & fort' }], solution: { content: 'Câble <RJ45> remplacé & testé' } });
		expect(ignored).toEqual(honoured);
		// the mode is real: without our decoding the title would read as GLPI stores it
		h.sim.fault({ fault: { mode: 'ignore_sanitize_header' } });
		expect(await rawName(id, 'false')).toBe('Imprimante "RDC" &#60;HS&#62; &#38; l\'écran');
	});

	it('a literal "AT&amp;T" stays "AT&amp;T" both ways (never decoded twice)', async () => {
		const { id } = await h.run('glpi.create_ticket', { title: 'Lien AT&amp;T coupé', content: 'Opérateur AT&amp;T, ticket 42' });
		const { honoured, ignored } = await bothWays('glpi.get_ticket', { ticketId: id });
		expect(honoured).toMatchObject({ title: 'Lien AT&amp;T coupé', content: 'Opérateur AT&amp;T, ticket 42' });
		expect(ignored).toEqual(honoured);
	});

	it('text that looks escaped but is raw (no markup anywhere to tell) is kept as typed', async () => {
		// Only the second request (header "true") can tell this server honours the header.
		const { id } = await h.run('glpi.create_ticket', { title: 'Balise &lt;br&gt; et &#60;p&#62;', content: 'Ecrire a &lt; b, sans HTML' });
		const { honoured, ignored } = await bothWays('glpi.get_ticket', { ticketId: id });
		expect(honoured).toMatchObject({ title: 'Balise &lt;br&gt; et &#60;p&#62;', content: 'Ecrire a &lt; b, sans HTML' });
		expect(ignored).toEqual(honoured);
	});

	it('search results: ticket titles, requesters and entities; people\'s names', async () => {
		const requester = h.sim.state.addUser({ name: 'o.brien&co', firstname: 'Seán <IT>', realname: "O'Brien & Fils", entities_id: 2 });
		h.sim.state.addTicket({ name: 'Wifi <Bellevue> & salle "B"', content: '<p>Borne &amp; switch</p>', entities_id: 2, requesters: [requester.id] });
		const tickets = await bothWays('glpi.search_new_tickets', { sinceMinutes: 60 });
		expect(tickets.honoured.tickets).toContainEqual(
			expect.objectContaining({ title: 'Wifi <Bellevue> & salle "B"', content: '<p>Borne &amp; switch</p>', requester: 'o.brien&co', entity: expect.stringContaining(' > ') }),
		);
		expect(tickets.ignored).toEqual({ ...tickets.honoured, since: tickets.ignored.since });

		const people = await bothWays('glpi.search_client', { searchBy: 'name', value: 'brien' });
		expect(people.honoured.clients).toEqual([expect.objectContaining({ login: 'o.brien&co', firstname: 'Seán <IT>', lastname: "O'Brien & Fils" })]);
		expect(people.ignored).toEqual(people.honoured);
	});

	it('GLPI\'s reverse, exactly: its five entities only, in one pass, and GLPI 9.5\'s &lt;/&gt; form', () => {
		expect(unescapeGlpi('Imprimante &#60;HS&#62; &#38; câble')).toBe('Imprimante <HS> & câble');
		expect(unescapeGlpi('AT&#38;amp;T')).toBe('AT&amp;T');
		expect(unescapeGlpi('&#38;lt;br&#38;gt;')).toBe('&lt;br&gt;'); // one pass: never "<br>"
		expect(unescapeGlpi('AT&T &lt;HS&gt;')).toBe('AT&T <HS>'); // GLPI 9.5 left "&" alone
		// not GLPI's escaping: raw markup, a bare "&" beside a GLPI 10 entity, other entities
		expect(unescapeGlpi('<p>a &lt; b</p>')).toBe('<p>a &lt; b</p>');
		expect(unescapeGlpi('R&D &#60;')).toBe('R&D &#60;');
		expect(unescapeGlpi('L&#039;écran &quot;A&quot; &amp; B')).toBe('L&#039;écran &quot;A&quot; &amp; B');
		expect(unescapeGlpi('plain text')).toBe('plain text');
	});
});
