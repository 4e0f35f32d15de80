import type { RecordedRequest } from '../../sandbox/simulators/base';
import { failure } from '../support/timed';
import { glpiHarness, sleep } from './support';

/** Every request the simulator receives from now on, for "nothing after close()". */
function requestsFrom(sim: { requests: RecordedRequest[] }) {
	const start = sim.requests.length;
	return () => sim.requests.slice(start);
}

describe('GLPI calls stop when they have failed, when their deadline passes, and when the client is closed', () => {
	const h = glpiHarness();

	it('three parallel reads, one fails: the others stop retrying, close() kills the session and nothing follows', async () => {
		const glpi = h.client({ timeoutMs: 5000, retries: 3 });
		// The followups read would retry after exactly 1 s, three times; the solutions read fails at once.
		h.sim.fault({ fault: { mode: 'rate_limit', retryAfterSeconds: 1 }, pathIncludes: '/ITILFollowup' });
		h.sim.fault({ fault: { mode: 'status', status: 400 }, pathIncludes: '/ITILSolution' });
		const { error, elapsedMs } = await failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
		expect(error.kind).toBe('bad_request');
		expect(elapsedMs).toBeLessThan(500);

		await sleep(50);
		const afterFailure = requestsFrom(h.sim);
		await sleep(1500); // past the followups read's next retry
		expect(afterFailure()).toEqual([]);

		await glpi.close();
		const afterClose = requestsFrom(h.sim);
		await sleep(1500);
		expect(afterClose()).toEqual([]);
		expect(h.sim.seen('GET', '/initSession')).toHaveLength(1);
		expect(h.sim.seen('GET', '/killSession')).toHaveLength(1);
		expect(h.sim.state.sessions.size).toBe(0);
	});

	it('close() during reads under way: they end at once, no session is reopened on the 401 they would get, none stays open', async () => {
		const glpi = h.client({ timeoutMs: 5000 });
		h.sim.fault({ fault: { mode: 'slow', delayMs: 600 }, pathIncludes: '/Ticket/1' });
		const reading = failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
		await sleep(200); // the session is open, the three reads are at the (slow) server
		expect(h.sim.state.sessions.size).toBe(1);
		expect(h.sim.seen('GET', '/Ticket/1')).toHaveLength(3);

		await glpi.close();
		const afterClose = requestsFrom(h.sim);
		const { error, elapsedMs } = await reading;
		expect(error.message).toBe('GLPI (glpi.get_ticket): the GLPI client was closed before the call finished');
		expect(elapsedMs).toBeLessThan(400);
		// the server answers the slow reads after killSession (401 ERROR_SESSION_TOKEN_INVALID): nobody listens
		await sleep(1000);
		expect(afterClose()).toEqual([]);
		expect(h.sim.seen('GET', '/initSession')).toHaveLength(1);
		expect(h.sim.state.sessions.size).toBe(0);

		// a closed client sends nothing at all
		const late = await failure(h.run('glpi.search_client', { value: 'Dubois' }, glpi));
		expect(late.error.message).toBe('GLPI (glpi.search_client): the GLPI client was closed before the call finished');
		expect((await h.run('glpi.health_ping', {}, glpi)).healthy).toBe(false);
		expect(afterClose()).toEqual([]);
	});

	it('close() while initSession is under way waits for it and kills the session it opened', async () => {
		const glpi = h.client({ timeoutMs: 5000 });
		h.sim.fault({ fault: { mode: 'slow', delayMs: 400 }, pathIncludes: '/initSession' });
		const reading = failure(h.run('glpi.get_ticket', { ticketId: 1 }, glpi));
		await sleep(100);
		await glpi.close();
		const afterClose = requestsFrom(h.sim);
		expect((await reading).error.message).toMatch(/the GLPI client was closed/);
		expect(h.sim.seen('GET', '/Ticket/1')).toHaveLength(0);
		expect(h.sim.seen('GET', '/killSession')).toHaveLength(1);
		expect(h.sim.state.sessions.size).toBe(0);
		await sleep(500);
		expect(afterClose()).toEqual([]);
	});

	it('close() is idempotent: a second close sends nothing', async () => {
		const glpi = h.client();
		await h.run('glpi.health_ping', {}, glpi);
		await Promise.all([glpi.close(), glpi.close()]);
		await glpi.close();
		expect(h.sim.seen('GET', '/killSession')).toHaveLength(1);
	});

	it('one deadline for the whole operation: a slow login leaves less time for the reads', async () => {
		h.sim.fault({ fault: { mode: 'slow', delayMs: 700 }, pathIncludes: '/initSession', times: 1 });
		h.sim.fault({ fault: { mode: 'slow', delayMs: 700 }, pathIncludes: '/Ticket/1' });
		const { error, elapsedMs } = await failure(h.run('glpi.get_ticket', { ticketId: 1 }, h.client({ timeoutMs: 1000 })));
		expect(error.kind).toBe('timeout');
		expect(error.message).toBe('GLPI (glpi.get_ticket): no answer within 1000 ms');
		expect(elapsedMs).toBeGreaterThanOrEqual(950);
		expect(elapsedMs).toBeLessThan(1300);
	});

	it('search pages share the deadline too', async () => {
		for (let i = 0; i < 120; i++) h.sim.state.addUser({ name: `pagination.${i}`, realname: 'Paginé', firstname: `Agent${i}` });
		h.sim.fault({ fault: { mode: 'slow', delayMs: 400 }, pathIncludes: '/search/User' });
		const { error, elapsedMs } = await failure(h.run('glpi.search_client', { searchBy: 'name', value: 'pagination.', limit: 500 }, h.client({ timeoutMs: 1000 })));
		expect(error.kind).toBe('timeout');
		expect(elapsedMs).toBeLessThan(1300);
		expect(h.sim.seen('GET', '/search/User').map((r) => r.query.range)).toEqual(['0-49', '50-99', '100-149']);
	});
});
