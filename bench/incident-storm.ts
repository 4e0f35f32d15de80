/**
 * An alert storm through incident intake on real Redis: 10,000 Observium alerts in one minute from
 * 100 devices at 20 sites, delivered by 10 workers (one connection each; a device's alerts always go
 * through the same worker, in order, as Observium sends them).
 *
 * The minute, scripted: 4 sites lose their router and the 4 switches behind it; 6 sites have a switch
 * flapping every 2 s; 5 sites have one switch down; 5 sites only make noise (a device on the ignore
 * list, a router in maintenance). Observium's reminders for the devices that stay down, and webhook
 * re-deliveries of every notification, make up the 10,000.
 *
 * Printed: intake p50/p99 beside a Redis round trip measured in the same run, alerts lost, incidents
 * created against those the script implies, flapping incidents against flapping devices, and the
 * diagnoses each approach would start (the seed: one per alert).
 *
 * WIDIP_BENCH_STORM_SECONDS (default 60) replays the minute faster or slower; decisions use the
 * storm's own clock, so they do not depend on the pace.
 */
import { randomBytes } from 'node:crypto';

import type { IncidentAlert } from '../core/incident/alert';
import type { IntakeResult } from '../core/incident/engine';
import { resolveSettings } from '../core/incident/settings';
import { Coordination } from '../core/redis/coordination';
import { nowMs, percentile, sleep } from './stats';

const HOST = process.env.WIDIP_TEST_REDIS_HOST ?? '127.0.0.1';
const PORT = Number(process.env.WIDIP_TEST_REDIS_PORT ?? 6379);
const TOTAL = 10_000;
const WORKERS = 10;
const SITES = 20;
const STORM_MS = 60_000;

interface Scheduled {
	at: number;
	device: number;
	alert: IncidentAlert;
}

/** A deterministic generator, so every run replays the same storm. */
function random(seed: number): () => number {
	let state = seed;
	return () => {
		state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
		return state / 2 ** 31;
	};
}

function deviceName(site: number, slot: number): string {
	return `SITE${String(site).padStart(2, '0')}-${slot === 0 ? 'RTR01' : `SW0${slot}`}`;
}

function alert(site: number, slot: number, state: IncidentAlert['state'], at: number, alertId = site * 10 + slot): IncidentAlert {
	const hostname = deviceName(site, slot);
	return {
		alertId,
		state,
		unixTime: Math.floor(at / 1000),
		severity: 'crit',
		title: `${state}: [${hostname}] [device] up/down`,
		message: 'up/down',
		device: { hostname, location: `Site ${site}`, type: 'network' },
		entity: { type: 'device', id: site * 10 + slot, name: hostname },
	};
}

function script(start: number): { schedule: Scheduled[]; expectedIncidents: number; flappingDevices: number; failingDevices: Set<string> } {
	const next = random(42);
	const base: Scheduled[] = [];
	const down: Array<{ site: number; slot: number; from: number }> = [];
	const push = (site: number, slot: number, state: IncidentAlert['state'], offset: number) =>
		base.push({ at: start + offset, device: site * 5 + slot, alert: alert(site, slot, state, start + offset) });
	for (let site = 0; site < 4; site++) {
		// Router down, then its switches.
		for (let slot = 0; slot < 5; slot++) {
			push(site, slot, 'ALERT', 5_000 + site * 100 + slot * 800);
			down.push({ site, slot, from: 5_000 + site * 100 + slot * 800 });
		}
	}
	for (let site = 4; site < 10; site++) {
		for (let i = 0; i < 30; i++) push(site, 1, i % 2 === 0 ? 'ALERT' : 'RECOVER', 1_000 + site * 50 + i * 1_950);
	}
	for (let site = 10; site < 15; site++) {
		push(site, 2, 'ALERT', 10_000 + site * 100);
		down.push({ site, slot: 2, from: 10_000 + site * 100 });
	}
	for (let site = 15; site < 20; site++) {
		for (let i = 0; i < 12; i++) {
			push(site, 3, i % 2 === 0 ? 'ALERT' : 'RECOVER', 2_000 + i * 4_900);
			push(site, 0, i % 2 === 0 ? 'ALERT' : 'RECOVER', 2_500 + i * 4_900);
		}
	}
	const schedule = [...base];
	// Reminders of devices that stay down; then re-deliveries of notifications, soon after each.
	const reminders = Math.floor((TOTAL - base.length) * 0.4);
	for (let i = 0; i < reminders; i++) {
		const { site, slot, from } = down[Math.floor(next() * down.length)];
		const offset = from + 1_000 + Math.floor(next() * (STORM_MS - from - 1_000));
		schedule.push({ at: start + offset, device: site * 5 + slot, alert: alert(site, slot, 'ALERT REMINDER', start + offset) });
	}
	const originals = [...schedule];
	while (schedule.length < TOTAL) {
		const original = originals[Math.floor(next() * originals.length)];
		schedule.push({ ...original, at: original.at + 1 + Math.floor(next() * 400) });
	}
	schedule.sort((a, b) => a.at - b.at);
	const failingDevices = new Set(schedule.filter((entry) => entry.alert.state !== 'RECOVER').map((entry) => entry.alert.device.hostname));
	// 4 site incidents + 6 flapping switches + 5 single switches; the noise sites open nothing.
	return { schedule, expectedIncidents: 4 + 6 + 5, flappingDevices: 6, failingDevices };
}

export async function benchIncidentStorm(): Promise<void> {
	const paceMs = Number(process.env.WIDIP_BENCH_STORM_SECONDS ?? 60) * 1000;
	const keyPrefix = `widip-bench:${randomBytes(4).toString('hex')}:`;
	const workers = await Promise.all(Array.from({ length: WORKERS }, () => Coordination.connect({ host: HOST, port: PORT, keyPrefix })));
	const settings = resolveSettings({
		ignoreDevices: ['SITE1?-SW03'],
		maintenance: [{ name: 'router swap', devices: ['SITE1?-RTR01'], from: '2026-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' }],
	});
	try {
		// Baseline: one Redis round trip (HGET) per alert, same workers, same pace.
		const start = Date.UTC(2026, 10, 2, 8, 0, 0);
		const { schedule, expectedIncidents, flappingDevices, failingDevices } = script(start);
		const queues = Array.from({ length: WORKERS }, () => [] as Scheduled[]);
		for (const entry of schedule) queues[entry.device % WORKERS].push(entry);

		const replay = async (work: (worker: Coordination, entry: Scheduled) => Promise<unknown>) => {
			const latencies: number[] = [];
			const results: unknown[] = [];
			let failed = 0;
			const began = nowMs();
			await Promise.all(
				queues.map(async (queue, index) => {
					for (const entry of queue) {
						const due = began + ((entry.at - start) / STORM_MS) * paceMs;
						const wait = due - nowMs();
						if (wait > 1) await sleep(wait);
						const t = nowMs();
						try {
							results.push(await work(workers[index], entry));
						} catch {
							failed++;
						}
						latencies.push(nowMs() - t);
					}
				}),
			);
			return { latencies, results, failed, tookMs: nowMs() - began };
		};

		const baseline = await replay((worker, entry) => worker.redis.hget(`${keyPrefix}bench:baseline`, entry.alert.device.hostname));
		const storm = await replay((worker, entry) => worker.incidents.intake(entry.alert, settings, entry.at));
		const results = storm.results as IntakeResult[];
		const created = new Set(results.filter((result) => result.decision === 'new').map((result) => result.incident!.id));
		const open = await workers[0].incidents.list('open', 200, start + STORM_MS);
		const stats = await workers[0].redis.hgetall(workers[0].incidents.keys.stats);
		const decided = Object.values(stats).reduce((sum, count) => sum + Number(count), 0);
		const count = (decision: string) => results.filter((result) => result.decision === decision).length;
		const seedDiagnoses = schedule.filter((entry) => entry.alert.state !== 'RECOVER').length;

		const p50 = percentile(storm.latencies, 50);
		const p99 = percentile(storm.latencies, 99);
		const b50 = percentile(baseline.latencies, 50);
		const b99 = percentile(baseline.latencies, 99);
		console.log(`\nIncident storm: ${schedule.length} Observium alerts in ${(paceMs / 1000).toFixed(0)} s, 100 devices, ${SITES} sites, ${WORKERS} workers`);
		console.log(`  intake           p50 ${p50.toFixed(3)} ms   p99 ${p99.toFixed(3)} ms   (took ${(storm.tookMs / 1000).toFixed(1)} s)`);
		console.log(`  baseline HGET    p50 ${b50.toFixed(3)} ms   p99 ${b99.toFixed(3)} ms   → intake ${(p50 / b50).toFixed(2)}× p50, ${(p99 / b99).toFixed(2)}× p99 of one round trip`);
		console.log(`  alerts lost      ${schedule.length - results.length} (errors ${storm.failed}; decisions recorded in Redis ${decided} of ${schedule.length})`);
		console.log(`  decisions        new ${count('new')}   update ${count('update')}   recovered ${count('recovered')}   suppressed ${count('suppressed')}`);
		console.log(`  incidents        created ${created.size}, expected ${expectedIncidents} ${created.size === expectedIncidents ? '✓' : '✗'}`);
		const flapping = open.filter((incident) => incident.flapping).length;
		console.log(`  flapping         incidents marked flapping ${flapping}, flapping devices ${flappingDevices} ${flapping === flappingDevices ? '✓' : '✗'}`);
		console.log(
			`  diagnoses        ours ${created.size} (one per incident)   seed ${seedDiagnoses} (one per alert; ${failingDevices.size} even with its 20-min cache per device)`,
		);
	} finally {
		const keys = await workers[0].redis.keys(`${keyPrefix}*`);
		for (let i = 0; i < keys.length; i += 500) await workers[0].redis.del(...keys.slice(i, i + 500));
		await Promise.all(workers.map((worker) => worker.close()));
	}
}

if (require.main === module) {
	benchIncidentStorm().catch((error) => {
		console.error(error);
		process.exit(1);
	});
}
