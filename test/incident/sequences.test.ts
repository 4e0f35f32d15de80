import { catalogue } from '../../core/catalogue';
import { DIAGNOSIS_FRESH_MS, type IntakeResult } from '../../core/incident/engine';
import { resolveSettings, type IncidentSettingsInput } from '../../core/incident/settings';
import type { Coordination } from '../../core/redis/coordination';
import { DEFAULT_TOOLSETS, resolveToolsets } from '../../runtime/mcp/toolsets';
import { connectTest, dropPrefix } from '../support/redis';
import { observiumAlert, T0, type AlertSpec } from './support';

const MIN = 60_000;

describe('incident intake: Observium alert sequences become incidents (real Redis)', () => {
	let coordination: Coordination;
	let site = 0;

	beforeAll(async () => {
		coordination = await connectTest('incident');
	});
	afterAll(async () => {
		await dropPrefix(coordination);
		await coordination.close();
	});

	/** Each test gets its own site and devices, so tests never join each other's incidents. */
	function place() {
		site++;
		const name = `EHPAD Test ${site}, Lyon`;
		return { location: name, router: `EHPAD-T${site}-RTR01`, switch: `EHPAD-T${site}-SW01`, switch2: `EHPAD-T${site}-SW02`, server: `EHPAD-T${site}-SRV01` };
	}

	const intake = (spec: AlertSpec, settings: IncidentSettingsInput = {}) =>
		coordination.incidents.intake(observiumAlert(spec), resolveSettings(settings), spec.at);

	it('a single device down opens one new incident, with the diagnosis claim for this caller, listed as open', async () => {
		const { router, location } = place();
		const result = await intake({ host: router, location, at: T0 });
		expect(result).toMatchObject({ decision: 'new', reason: 'first_alert', site: location, flapping: false });
		expect(result.diagnosisClaim?.token).toMatch(/^[0-9a-f]{32}$/);
		expect(result.incident).toMatchObject({
			status: 'open',
			kind: 'device',
			site: location,
			alertCount: 1,
			devices: [{ hostname: router, state: 'failed', upstream: true }],
			diagnosis: null,
		});
		const open = await coordination.incidents.list('open', 200, T0);
		expect(open.map((incident) => incident.id)).toContain(result.incident!.id);
		expect(await coordination.incidents.get(result.incident!.id, T0)).toEqual(result.incident);
	});

	it('down then recover: the recovery closes the same incident, which leaves the open list', async () => {
		const { server, location } = place();
		const down = await intake({ host: server, location, at: T0 });
		const up = await intake({ host: server, location, state: 'RECOVER', at: T0 + 4 * MIN });
		expect(up).toMatchObject({ decision: 'recovered', reason: 'recovered' });
		expect(up.incident).toMatchObject({ id: down.incident!.id, status: 'recovered', recoveredAt: new Date(T0 + 4 * MIN).toISOString() });
		expect((await coordination.incidents.list('open', 200, T0)).map((incident) => incident.id)).not.toContain(down.incident!.id);
		expect((await coordination.incidents.list('recovered', 200, T0)).map((incident) => incident.id)).toContain(down.incident!.id);
		// Recovered incidents are kept 24 h by default, then Redis forgets them.
		const ttl = await coordination.redis.pttl(coordination.incidents.keys.record(down.incident!.id));
		expect(ttl).toBeGreaterThan(23 * 3_600_000);
		expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);
		// A second recovery (Observium retrying) changes nothing.
		expect(await intake({ host: server, location, state: 'RECOVER', at: T0 + 5 * MIN })).toMatchObject({ decision: 'suppressed', reason: 'already_recovered' });
	});

	it('a router flapping 10 times in 5 minutes is one incident marked flapping, notified a bounded number of times, never once per alert', async () => {
		const { router, location } = place();
		const results: IntakeResult[] = [];
		for (let i = 0; i < 20; i++) {
			results.push(await intake({ host: router, location, state: i % 2 === 0 ? 'ALERT' : 'RECOVER', at: T0 + i * 15_000 }));
		}
		const ids = new Set(results.map((result) => result.incident?.id));
		expect(ids.size).toBe(1);
		expect(results.filter((result) => result.decision === 'new')).toHaveLength(1);
		expect(results.filter((result) => result.diagnosisClaim !== null)).toHaveLength(1);
		// new, recovered (1st recovery: not flapping yet), reopened, flapping_started; then silence.
		expect(results.slice(0, 4).map((result) => `${result.decision}:${result.reason}`)).toEqual([
			'new:first_alert',
			'recovered:recovered',
			'update:reopened',
			'update:flapping_started',
		]);
		expect(results.slice(4).every((result) => result.decision === 'suppressed' && result.reason === 'flapping')).toBe(true);
		const incident = results.at(-1)!.incident!;
		expect(incident).toMatchObject({ status: 'open', flapping: true, alertCount: 20 });

		// Re-notified at most once per interval (30 min by default): one update after it, then silence again.
		const later = T0 + 31 * MIN;
		const renotified = await intake({ host: router, location, at: later });
		const again = await intake({ host: router, location, state: 'RECOVER', at: later + 15_000 });
		expect(renotified).toMatchObject({ decision: 'update', reason: 'flapping_renotify' });
		expect(again).toMatchObject({ decision: 'suppressed', reason: 'flapping' });

		// It went quiet (up): the review counts Observium's silent polls; once the percent falls to the
		// low threshold the incident recovers, without any new alert.
		const early = await coordination.incidents.review(resolveSettings(), later + 20 * MIN);
		expect(early.changes.filter((change) => change.incident?.id === incident.id)).toEqual([]);
		const settled = await coordination.incidents.review(resolveSettings(), later + 3 * 60 * MIN);
		const change = settled.changes.find((candidate) => candidate.incident?.id === incident.id);
		expect(change).toMatchObject({ decision: 'recovered', reason: 'flapping_stopped', flapping: false });
		expect(change!.incident).toMatchObject({ status: 'recovered', flapping: false });
	});

	it('reminders join the incident silently, and produce an update once the reminder interval has passed', async () => {
		const { switch: host, location } = place();
		const first = await intake({ host, location, at: T0 });
		const soon = await intake({ host, location, state: 'ALERT REMINDER', at: T0 + 10 * MIN });
		const hourLater = await intake({ host, location, state: 'ALERT REMINDER', at: T0 + 61 * MIN });
		const after = await intake({ host, location, state: 'ALERT REMINDER', at: T0 + 70 * MIN });
		expect(soon).toMatchObject({ decision: 'suppressed', reason: 'reminder' });
		expect(hourLater).toMatchObject({ decision: 'update', reason: 'reminder' });
		expect(after).toMatchObject({ decision: 'suppressed', reason: 'reminder' });
		expect(new Set([first, soon, hourLater, after].map((result) => result.incident!.id)).size).toBe(1);
		expect(after.incident!.alertCount).toBe(4);
		// The same ALERT again (not a reminder) is a duplicate of the open incident.
		expect(await intake({ host, location, at: T0 + 71 * MIN })).toMatchObject({ decision: 'suppressed', reason: 'duplicate' });
	});

	it('a reminder of a problem nobody knows (engine started later) opens the incident', async () => {
		const { server, location } = place();
		expect(await intake({ host: server, location, state: 'ALERT REMINDER', at: T0 })).toMatchObject({ decision: 'new', reason: 'reminder_without_incident' });
	});

	it('two devices of one site within the window become one site incident with the router as likely cause; recoveries close it device by device', async () => {
		const { router, switch: sw, location } = place();
		const swDown = await intake({ host: sw, location, at: T0 });
		const routerDown = await intake({ host: router, location, at: T0 + 40_000 });
		expect(swDown.decision).toBe('new');
		expect(routerDown).toMatchObject({ decision: 'update', reason: 'site_device_added' });
		expect(routerDown.incident).toMatchObject({
			id: swDown.incident!.id,
			kind: 'site',
			site: location,
			likelyCause: { hostname: router },
		});
		expect(routerDown.incident!.devices.map((device) => [device.hostname, device.state])).toEqual([
			[sw, 'failed'],
			[router, 'failed'],
		]);
		expect(routerDown.diagnosisClaim).toBeNull();

		const swUp = await intake({ host: sw, location, state: 'RECOVER', at: T0 + 3 * MIN });
		expect(swUp).toMatchObject({ decision: 'update', reason: 'partial_recovery' });
		expect(swUp.incident!.status).toBe('open');
		const routerUp = await intake({ host: router, location, state: 'RECOVER', at: T0 + 4 * MIN });
		expect(routerUp).toMatchObject({ decision: 'recovered', reason: 'recovered' });
		expect(routerUp.incident!.id).toBe(swDown.incident!.id);
	});

	it('devices of another site, or of the same site outside the window, get incidents of their own', async () => {
		const a = place();
		const b = place();
		const first = await intake({ host: a.router, location: a.location, at: T0 });
		const otherSite = await intake({ host: b.switch, location: b.location, at: T0 + 10_000 });
		const late = await intake({ host: a.switch, location: a.location, at: T0 + 6 * MIN });
		expect(otherSite.decision).toBe('new');
		expect(otherSite.incident!.id).not.toBe(first.incident!.id);
		expect(late.decision).toBe('new');
		expect(late.incident!.id).not.toBe(first.incident!.id);
	});

	it('site mapping from settings beats the Observium location; a site incident lists at most maxDevicesPerIncident devices', async () => {
		const { switch: sw1, switch2: sw2, server } = place();
		const settings = { sites: [{ site: 'Clinique du Parc', devices: [sw1, sw2, server] }], maxDevicesPerIncident: 2 };
		const a = await intake({ host: sw1, location: 'somewhere', at: T0 }, settings);
		const b = await intake({ host: sw2, location: 'elsewhere', at: T0 + 5_000 }, settings);
		const c = await intake({ host: server, location: 'nowhere', at: T0 + 9_000 }, settings);
		expect(a).toMatchObject({ decision: 'new', site: 'Clinique du Parc' });
		expect(b).toMatchObject({ decision: 'update', reason: 'site_device_added' });
		expect(c).toMatchObject({ decision: 'suppressed', reason: 'site_incident_full' });
		expect(c.incident).toMatchObject({ id: a.incident!.id, devicesNotListed: 1 });
		expect(c.incident!.devices).toHaveLength(2);
		// No upstream device failed: no likely cause is invented.
		expect(c.incident!.likelyCause).toBeNull();
	});

	it('ignored devices, entity types and checks, and maintenance windows are suppressed with the rule recorded, and open nothing', async () => {
		const { router, switch: sw, server, location } = place();
		const settings: IncidentSettingsInput = {
			ignoreDevices: ['*-SRV??'],
			ignoreEntityTypes: ['storage'],
			ignoreChecks: ['printer toner'],
			maintenance: [
				{ name: 'router swap', devices: [router], from: new Date(T0 - MIN).toISOString(), to: new Date(T0 + 30 * MIN).toISOString() },
				// Nightly backups, 23:30–01:00 Paris time, every day: crosses midnight.
				{ name: 'nightly backup', sites: [location], days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '23:30', end: '01:00', timeZone: 'Europe/Paris' },
			],
		};
		const before = Number((await coordination.redis.hget(coordination.incidents.keys.stats, 'suppressed:maintenance')) ?? 0);
		expect(await intake({ host: server, location, at: T0 }, settings)).toMatchObject({ decision: 'suppressed', reason: 'ignored_device', rule: '*-SRV??', incident: null });
		expect(await intake({ host: sw, location, entityType: 'storage', at: T0 }, settings)).toMatchObject({ decision: 'suppressed', reason: 'ignored_entity_type', rule: 'storage' });
		expect(await intake({ host: sw, location, message: 'Printer toner low', at: T0 }, settings)).toMatchObject({ decision: 'suppressed', reason: 'ignored_check', rule: 'printer toner' });
		expect(await intake({ host: router, location, at: T0 + MIN }, settings)).toMatchObject({ decision: 'suppressed', reason: 'maintenance', rule: 'router swap' });
		// 2026-11-02 is a Monday; 00:15 Paris on Tuesday (23:15 UTC) is inside the nightly window.
		const nightly = Date.UTC(2026, 10, 2, 23, 15);
		expect(await intake({ host: sw, location, at: nightly }, settings)).toMatchObject({ decision: 'suppressed', reason: 'maintenance', rule: 'nightly backup' });
		expect(Number(await coordination.redis.hget(coordination.incidents.keys.stats, 'suppressed:maintenance'))).toBe(before + 2);
		// After the router's window, its alert is an incident again.
		expect(await intake({ host: router, location, at: T0 + 31 * MIN }, settings)).toMatchObject({ decision: 'new' });
		// 02:05 Paris: the nightly window is over.
		expect(await intake({ host: sw, location, at: Date.UTC(2026, 10, 3, 1, 5) }, settings)).toMatchObject({ decision: 'new' });
	});

	it('the same notification delivered twice counts once; a recovery with no incident closes nothing', async () => {
		const { switch: sw, server, location } = place();
		const alert = observiumAlert({ host: sw, location, at: T0 });
		const first = await coordination.incidents.intake(alert, resolveSettings(), T0);
		const retry = await coordination.incidents.intake(alert, resolveSettings(), T0 + 2_000);
		expect(retry).toMatchObject({ decision: 'suppressed', reason: 'duplicate_delivery' });
		expect(retry.incident).toMatchObject({ id: first.incident!.id, alertCount: 1 });
		expect(await intake({ host: server, location, state: 'RECOVER', at: T0 })).toMatchObject({ decision: 'suppressed', reason: 'unknown_recovery', incident: null });
	});

	it('the fingerprint is configurable: by device only, two checks of one device are one incident', async () => {
		const { server, location } = place();
		const byDevice = { fingerprintFields: ['device'] as Array<'device'> };
		const cpu = await intake({ host: server, location, alertId: 1, message: 'CPU > 90%', at: T0 }, byDevice);
		const disk = await intake({ host: server, location, alertId: 2, message: 'disk full', at: T0 + MIN }, byDevice);
		expect(disk).toMatchObject({ decision: 'suppressed', reason: 'duplicate' });
		expect(disk.incident!.id).toBe(cpu.incident!.id);
		// With the default fingerprint (device + entity + check) they are two problems of one site.
		const other = place();
		const a = await intake({ host: other.server, location: other.location, alertId: 1, message: 'CPU > 90%', at: T0 });
		const b = await intake({ host: other.server, location: other.location, alertId: 2, message: 'disk full', at: T0 + 10 * MIN });
		expect(b.incident!.id).not.toBe(a.incident!.id);
		// Within the site window, a second check of the same device joins as related, not as a site incident.
		const c = await intake({ host: other.server, location: other.location, alertId: 3, message: 'memory low', at: T0 + 11 * MIN });
		expect(c).toMatchObject({ decision: 'update', reason: 'device_check_added', incident: { id: b.incident!.id, kind: 'device' } });
	});

	it('one diagnosis per incident: one claim, the holder saves, everyone later reads it while fresh (20 min)', async () => {
		const { router, switch: sw, location } = place();
		const opened = await intake({ host: router, location, at: T0 });
		const id = opened.incident!.id;
		const token = opened.diagnosisClaim!.token;
		const competing = await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 1_000);
		expect(competing).toMatchObject({ claimed: false, why: 'claimed_by_another' });
		expect(await coordination.incidents.saveDiagnosis(id, '0'.repeat(32), 'guess', T0 + 2_000)).toMatchObject({ saved: false, why: 'claim_not_held' });
		const saved = await coordination.incidents.saveDiagnosis(id, token, 'Fibre cut upstream (Phibee ticket 4471)', T0 + 30_000);
		expect(saved).toMatchObject({ saved: true, incident: { diagnosis: { text: 'Fibre cut upstream (Phibee ticket 4471)', fresh: true } } });
		// The next device of the site joins and carries the diagnosis already made: no second diagnosis.
		const joined = await intake({ host: sw, location, at: T0 + MIN });
		expect(joined.incident!.diagnosis).toMatchObject({ text: 'Fibre cut upstream (Phibee ticket 4471)', fresh: true });
		expect(await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 2 * MIN)).toMatchObject({ claimed: false, why: 'diagnosis_fresh' });
		// Older than 20 minutes: exactly one caller may diagnose again.
		const stale = T0 + 30_000 + DIAGNOSIS_FRESH_MS + 1;
		const claims = await Promise.all(Array.from({ length: 8 }, () => coordination.incidents.claimDiagnosis(id, 60_000, stale)));
		expect(claims.filter((claim) => claim.claimed)).toHaveLength(1);
		expect((await coordination.incidents.get(id, stale))!.diagnosis!.fresh).toBe(false);
	});

	it('the ticket of an incident is linked once; List Incidents finds those still without one (GLPI was down)', async () => {
		const { router, server, location } = place();
		const a = (await intake({ host: router, location, at: T0 })).incident!.id;
		const other = place();
		const b = (await intake({ host: other.server, location: other.location, at: T0 })).incident!.id;
		const waiting = async () => (await coordination.incidents.list('open', 200, T0, { withoutTicket: true })).map((incident) => incident.id);
		expect(await waiting()).toEqual(expect.arrayContaining([a, b]));
		expect(await coordination.incidents.linkTicket(a, 4242, T0)).toMatchObject({ linked: true, ticketId: 4242, incident: { id: a, ticketId: 4242 } });
		// A retried run that made (or found) another ticket learns the first one; it never changes.
		expect(await coordination.incidents.linkTicket(a, 9999, T0)).toMatchObject({ linked: false, ticketId: 4242 });
		expect((await coordination.incidents.get(a, T0))!.ticketId).toBe(4242);
		expect(await waiting()).not.toContain(a);
		expect(await waiting()).toContain(b);
		// A kept incident behind many newer ticketed ones is still found (the filter reads the whole
		// index, not the newest 2 × limit): on an engine of its own, so other tests' incidents stay out.
		const own = await connectTest('incident-kept');
		try {
			const alone = (spec: AlertSpec) => own.incidents.intake(observiumAlert(spec), resolveSettings({}), spec.at);
			const kept = place();
			const keptId = (await alone({ host: kept.router, location: kept.location, at: T0 })).incident!.id;
			for (let i = 0; i < 6; i++) {
				const newer = place();
				const id = (await alone({ host: newer.router, location: newer.location, at: T0 + (i + 1) * 1000 })).incident!.id;
				await own.incidents.linkTicket(id, 5000 + i, T0);
			}
			expect((await own.incidents.list('open', 1, T0 + MIN, { withoutTicket: true })).map((incident) => incident.id)).toEqual([keptId]);
		} finally {
			await dropPrefix(own);
			await own.close();
		}
		// The ticket survives the next alerts of the incident (intake rewrites the record's other fields).
		const joined = await intake({ host: server, location, at: T0 + MIN });
		expect(joined.incident).toMatchObject({ id: a, ticketId: 4242 });
		// An unknown or expired incident is never created by a link.
		await expect(coordination.incidents.linkTicket('inc-zzzz-00000000', 1, T0)).rejects.toThrow(/does not exist/);
		expect(await coordination.redis.exists(coordination.incidents.keys.record('inc-zzzz-00000000'))).toBe(0);
	});

	it('a diagnosis claim given back unused lets the next caller claim at once; only its holder can give it back', async () => {
		const { router, location } = place();
		const opened = await intake({ host: router, location, at: T0 });
		const id = opened.incident!.id;
		expect(await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 1_000)).toMatchObject({ claimed: false, why: 'claimed_by_another' });
		expect(await coordination.incidents.releaseDiagnosis(id, 'f'.repeat(32))).toEqual({ released: false, why: 'claim_not_held' });
		expect(await coordination.incidents.releaseDiagnosis(id, opened.diagnosisClaim!.token)).toEqual({ released: true, why: null });
		const next = await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 2_000);
		expect(next).toMatchObject({ claimed: true });
		// The first holder's token is worth nothing now.
		expect(await coordination.incidents.saveDiagnosis(id, opened.diagnosisClaim!.token, 'late', T0 + 3_000)).toMatchObject({ saved: false });
		await expect(coordination.incidents.releaseDiagnosis('inc-zzzz-00000000', next.token!)).rejects.toThrow(/does not exist/);
	});

	it('a crashed diagnoser\'s claim lapses: another caller can claim after it', async () => {
		const { server, location } = place();
		const opened = await intake({ host: server, location, at: T0 });
		const id = opened.incident!.id;
		expect(await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 60_000)).toMatchObject({ claimed: false });
		expect(await coordination.incidents.claimDiagnosis(id, 60_000, T0 + 5 * MIN + 1)).toMatchObject({ claimed: true });
	});

	it('an open incident without news is forgotten after its TTL and leaves the open list', async () => {
		const { server, location } = place();
		const opened = await intake({ host: server, location, at: T0 }, { incidentTtlHours: 0.3 / 3600 });
		const id = opened.incident!.id;
		await new Promise((resolve) => setTimeout(resolve, 450));
		expect(await coordination.incidents.get(id)).toBeNull();
		expect((await coordination.incidents.list('open', 200)).map((incident) => incident.id)).not.toContain(id);
		expect(await coordination.redis.zscore(coordination.incidents.keys.open, id)).toBeNull();
	});

	describe('through the catalogue (what nodes and MCP run)', () => {
		const run = (id: string, args: unknown) => catalogue.run(id, args, { incident: coordination });

		it('intake takes the normalised alert and routes by decision; get and list read the same record', async () => {
			const { router, location } = place();
			const result = (await run('incident.intake', { alert: observiumAlert({ host: router, location, at: Date.now() - 1_000 }) })) as IntakeResult;
			expect(result.decision).toBe('new');
			expect(await run('incident.get', { incidentId: result.incident!.id })).toEqual({ found: true, incident: expect.objectContaining({ id: result.incident!.id }) });
			expect(await run('incident.get', { incidentId: 'inc-zzzz-00000000' })).toEqual({ found: false, incident: null });
			const listed = (await run('incident.list', {})) as { incidents: Array<{ id: string }> };
			expect(listed.incidents.map((incident) => incident.id)).toContain(result.incident!.id);
		});

		it('hostile input is refused with the field named, and writes nothing', async () => {
			const keysBefore = (await coordination.redis.keys(`${coordination.config.keyPrefix}*`)).length;
			const alert = observiumAlert({ at: Date.now() - 1_000 });
			const cases: Array<[unknown, RegExp]> = [
				[{ alert: { ...alert, device: { hostname: 'rtr01; FLUSHALL' } } }, /alert\.device\.hostname/],
				[{ alert: { ...alert, device: { hostname: 'x'.repeat(300) } } }, /alert\.device\.hostname/],
				[{ alert: { ...alert, message: 'm'.repeat(5000) } }, /alert\.message/],
				[{ alert: { ...alert, state: 'EVIL' } }, /alert\.state/],
				[{ alert: 'not an object' }, /alert/],
				[{}, /alert/],
				[{ alert, flapLowThreshold: 30, flapHighThreshold: 20 }, /flapLowThreshold \(30\) must not be above flapHighThreshold \(20\)/],
				[{ alert, ignoreDevices: ['rtr(.*)'] }, /ignoreDevices\.0/],
				[{ alert, maintenance: [{ name: 'x', devices: ['a'], from: 'yesterday', to: 'tomorrow' }] }, /maintenance\.0\.from/],
				[{ alert, maintenance: [{ name: 'x', devices: ['a'] }] }, /one-off \(from, to\) or weekly/],
				[{ alert, dedupWindowSeconds: -1 }, /dedupWindowSeconds/],
				[{ alert, surprise: true }, /unknown field/],
			];
			for (const [args, message] of cases) await expect(run('incident.intake', args)).rejects.toThrow(message);
			expect((await coordination.redis.keys(`${coordination.config.keyPrefix}*`)).length).toBe(keysBefore);
		});

		it('free text that looks like Lua patterns, separators or prototype keys is stored and read back as given', async () => {
			const { location } = place();
			const host = `EHPAD-T${site}-AP01`;
			const alert = observiumAlert({ host, location, entityName: 'port|1 %d+ (.*) __proto__', message: 'link %s down | ]] --', at: Date.now() - 1_000 });
			const result = (await run('incident.intake', { alert: { ...alert, constructor: 'x', ['__proto__']: { polluted: true } } })) as IntakeResult;
			expect(result.decision).toBe('new');
			expect(result.incident!.devices[0]).toMatchObject({ hostname: host, entity: `device port|1 %d+ (.*) __proto__` });
			expect(result.incident!.lastAlert).toMatchObject({ message: 'link %s down | ]] --' });
			expect(({} as Record<string, unknown>).polluted).toBeUndefined();
		});
	});

	it('agents read incidents (L0) but never intake, review or claim: those are workflow-only, in no MCP toolset', () => {
		const { toolsets } = resolveToolsets(DEFAULT_TOOLSETS, catalogue);
		const all = toolsets.get('all')!.operations.map((operation) => operation.id);
		expect(all).toEqual(expect.arrayContaining(['incident.get', 'incident.list']));
		for (const id of ['incident.intake', 'incident.review', 'incident.claim_diagnosis', 'incident.save_diagnosis']) {
			expect(catalogue.get(id).workflowOnly).toBe(true);
			expect(all).not.toContain(id);
		}
	});
});
