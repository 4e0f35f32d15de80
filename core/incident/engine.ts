import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import { WidipError } from '../errors';
import type { RedisKeys } from '../redis/keys';
import { deliveryIdOf, fingerprintOf, kindOf, type IncidentAlert } from './alert';
import { IncidentKeys } from './keys';
import { isUpstream, siteOf, suppressionOf } from './rules';
import { CLAIM_DIAGNOSIS_LUA, INTAKE_LUA, LINK_TICKET_LUA, RELEASE_DIAGNOSIS_LUA, SAVE_DIAGNOSIS_LUA } from './scripts';
import { resolveSettings, type IncidentSettings } from './settings';
import { incidentView, type IncidentView } from './view';

/** The seed's 20-minute diagnosis cache, kept per incident. */
export const DIAGNOSIS_FRESH_MS = 20 * 60_000;
export const DIAGNOSIS_CLAIM_MS = 5 * 60_000;
export const MAX_DIAGNOSIS_LENGTH = 20_000;
const FINGERPRINT_TTL_MS = 30 * 86_400_000;
const LAST_ALERT_MAX_BYTES = 4096;

export type Decision = 'new' | 'update' | 'recovered' | 'suppressed';

export interface IntakeResult {
	decision: Decision;
	/** Why: first_alert, site_device_added, reopened, flapping_started, duplicate, maintenance… */
	reason: string;
	/** One line for people: what happened to this alert. */
	message: string;
	fingerprint: string;
	site: string | null;
	/** The ignore rule or maintenance window that suppressed the alert. */
	rule: string | null;
	flapping: boolean;
	flapPercent: number;
	incident: IncidentView | null;
	/** Only on a new incident: this caller makes the diagnosis (claim it is already held for it). */
	diagnosisClaim: { token: string; expiresAt: string } | null;
}

interface IncidentCommands extends Redis {
	widipIncidentIntake(...args: Array<string | number>): Promise<[string, string, string, number, string, string]>;
	widipIncidentClaimDiagnosis(key: string, now: number, token: string, ttlMs: number, freshMs: number): Promise<[string, string]>;
	widipIncidentSaveDiagnosis(key: string, token: string, now: number, text: string): Promise<string>;
	widipIncidentLinkTicket(key: string, ticketId: string): Promise<number>;
	widipIncidentReleaseDiagnosis(key: string, token: string): Promise<string>;
}

/** One sample for the intake script: an alert, or a review's tick (quiet polls only). */
interface ScriptSample {
	kind: ReturnType<typeof kindOf> | 'tick';
	delivery: string;
	newId: string;
	claimToken: string;
	hostname: string;
	entity: string;
	upstream: boolean;
	site: string | null;
	title: string;
	severity: string;
	lastAlert: string;
}

const TICK: Omit<ScriptSample, 'hostname'> = { kind: 'tick', delivery: '', newId: '', claimToken: '', entity: '', upstream: false, site: null, title: '', severity: '', lastAlert: '' };

const newToken = () => randomBytes(16).toString('hex');
const newIncidentId = (now: number) => `inc-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
export const INCIDENT_ID = /^inc-[0-9a-z]{1,12}-[0-9a-f]{8}$/;

/** The last alert as the incident keeps it: the fields people read, within 4 KB. */
function compactAlert(alert: IncidentAlert): string {
	const kept = {
		alertId: alert.alertId,
		state: alert.state,
		time: new Date(alert.unixTime * 1000).toISOString(),
		severity: alert.severity ?? null,
		title: alert.title ?? null,
		message: alert.message ?? null,
		device: { hostname: alert.device.hostname, location: alert.device.location ?? null, type: alert.device.type ?? null },
		entity: alert.entity ? { type: alert.entity.type ?? null, name: alert.entity.name ?? null } : null,
	};
	let json = JSON.stringify(kept);
	if (Buffer.byteLength(json) > LAST_ALERT_MAX_BYTES) {
		json = JSON.stringify({ ...kept, message: `${(kept.message ?? '').slice(0, 1000)}… [truncated]` });
	}
	return json;
}

function entityLabel(alert: IncidentAlert): string {
	const entity = alert.entity;
	if (!entity) return 'device';
	return `${entity.type ?? 'entity'} ${entity.name ?? entity.id ?? ''}`.trim().slice(0, 200);
}

function describe(result: Omit<IntakeResult, 'message'>, hostname: string): string {
	const id = result.incident?.id ?? '';
	switch (result.reason) {
		case 'first_alert':
			return `New incident ${id} for ${hostname}`;
		case 'reminder_without_incident':
			return `New incident ${id} for ${hostname} (a reminder of a problem not known yet)`;
		case 'site_device_added':
			return `${hostname} joins site incident ${id} (${result.site}): ${result.incident?.devices.length ?? 0} device(s)`;
		case 'device_check_added':
			return `Another check of ${hostname} failed: joins incident ${id}`;
		case 'reopened':
			return `${hostname} failed again soon after recovering: incident ${id} reopened`;
		case 'flapping_started':
			return `${hostname} is flapping (${result.flapPercent.toFixed(1)} % state change): incident ${id} marked flapping`;
		case 'flapping_renotify':
			return `${hostname} is still flapping (${result.flapPercent.toFixed(1)} %): incident ${id}`;
		case 'flapping_stopped':
			return result.decision === 'recovered'
				? `${hostname} stopped flapping and is up: incident ${id} recovered`
				: `${hostname} stopped flapping but is still down: incident ${id}`;
		case 'flapping':
			return `${hostname} is flapping: alert joined incident ${id} without a notice`;
		case 'device_failed_again':
			return `${hostname} failed again within incident ${id}`;
		case 'reminder':
			return result.decision === 'update' ? `${hostname} is still down: incident ${id}` : `Reminder joined incident ${id}`;
		case 'duplicate':
			return `Same problem again: joined incident ${id}`;
		case 'duplicate_delivery':
			return 'The same notification was delivered twice; counted once';
		case 'partial_recovery':
			return `${hostname} recovered; incident ${id} still has failing devices`;
		case 'recovered':
			return `${hostname} recovered: incident ${id} closed`;
		case 'already_recovered':
			return `Recovery of incident ${id}, already recovered`;
		case 'unknown_recovery':
			return `Recovery of ${hostname} with no open incident: nothing to close`;
		case 'site_incident_full':
			return `${hostname} joins site incident ${id}, which lists its maximum of devices: counted, not listed`;
		default:
			return `Suppressed (${result.reason}${result.rule ? `: ${result.rule}` : ''})`;
	}
}

/**
 * Alerts in, incident decisions out, on Redis shared by every worker. One Lua script decides each
 * alert (scripts.ts); settings are resolved once per call by the caller or here.
 */
export class IncidentEngine {
	readonly keys: IncidentKeys;
	private readonly commands: IncidentCommands;

	constructor(
		readonly redis: Redis,
		redisKeys: RedisKeys,
		private readonly clock: () => number = Date.now,
	) {
		this.keys = new IncidentKeys(redisKeys.prefix);
		this.commands = redis as IncidentCommands;
		if (typeof this.commands.widipIncidentIntake !== 'function') {
			redis.defineCommand('widipIncidentIntake', { numberOfKeys: 5, lua: INTAKE_LUA });
			redis.defineCommand('widipIncidentClaimDiagnosis', { numberOfKeys: 1, lua: CLAIM_DIAGNOSIS_LUA });
			redis.defineCommand('widipIncidentSaveDiagnosis', { numberOfKeys: 1, lua: SAVE_DIAGNOSIS_LUA });
			redis.defineCommand('widipIncidentLinkTicket', { numberOfKeys: 1, lua: LINK_TICKET_LUA });
			redis.defineCommand('widipIncidentReleaseDiagnosis', { numberOfKeys: 1, lua: RELEASE_DIAGNOSIS_LUA });
		}
	}

	async intake(alert: IncidentAlert, settings: IncidentSettings = resolveSettings(), now = this.clock()): Promise<IntakeResult> {
		const fingerprint = fingerprintOf(alert, settings);
		const site = siteOf(alert, settings);
		const hostname = alert.device.hostname;
		const suppression = suppressionOf(alert, site, settings, now);
		if (suppression) {
			await this.redis.hincrby(this.keys.stats, `suppressed:${suppression.reason}`, 1);
			const result = { decision: 'suppressed' as const, reason: suppression.reason, fingerprint, site, rule: suppression.rule, flapping: false, flapPercent: 0, incident: null, diagnosisClaim: null };
			return { ...result, message: describe(result, hostname) };
		}
		const claimToken = newToken();
		const [decision, reason, incidentId, flapping, percent, claim] = await this.runScript(fingerprint, settings, now, {
			kind: kindOf(alert),
			delivery: deliveryIdOf(alert),
			newId: newIncidentId(now),
			claimToken,
			hostname,
			entity: entityLabel(alert),
			upstream: isUpstream(hostname, settings),
			site,
			title: alert.title ?? '',
			severity: alert.severity ?? '',
			lastAlert: compactAlert(alert),
		});
		const incident = incidentId ? await this.get(incidentId, now) : null;
		const result = {
			decision: decision as Decision,
			reason,
			fingerprint,
			site,
			rule: null,
			flapping: flapping === 1,
			flapPercent: Math.round(Number(percent) * 100) / 100,
			incident,
			diagnosisClaim: claim ? { token: claim, expiresAt: new Date(now + DIAGNOSIS_CLAIM_MS).toISOString() } : null,
		};
		return { ...result, message: describe(result, hostname) };
	}

	/** The intake script, its arguments in the order scripts.ts reads them (ARGV[1…27]). */
	private runScript(fingerprint: string, settings: IncidentSettings, now: number, sample: ScriptSample) {
		const fpKey = this.keys.fingerprint(fingerprint);
		return this.commands.widipIncidentIntake(
			fpKey,
			this.keys.open,
			this.keys.recent,
			this.keys.stats,
			sample.site ? this.keys.site(sample.site) : fpKey,
			this.keys.recordPrefix,
			now,
			sample.kind,
			sample.delivery,
			sample.newId,
			sample.claimToken,
			sample.hostname,
			sample.entity,
			sample.upstream ? '1' : '0',
			sample.site ? '1' : '0',
			sample.title,
			sample.severity,
			sample.lastAlert,
			settings.dedupWindowMs,
			settings.reminderIntervalMs,
			settings.flapLow,
			settings.flapHigh,
			settings.flapNotifyIntervalMs,
			settings.checkIntervalMs,
			settings.siteWindowMs,
			settings.maxDevicesPerIncident,
			settings.incidentTtlMs,
			settings.closedTtlMs,
			DIAGNOSIS_CLAIM_MS,
			FINGERPRINT_TTL_MS,
			fingerprint,
			sample.site ?? '',
		);
	}

	/**
	 * Time passes for flapping incidents too: Observium sends nothing while a device is steadily up,
	 * so a schedule calls this to count the quiet checks. An incident whose devices stopped flapping
	 * and are up is recovered here; one still down gets an update.
	 */
	async review(settings: IncidentSettings = resolveSettings(), now = this.clock()): Promise<{ reviewed: number; changes: IntakeResult[] }> {
		const ids = await this.redis.zrange(this.keys.open, '0', '999');
		const changes: IntakeResult[] = [];
		let reviewed = 0;
		const gone: string[] = [];
		for (const id of ids) {
			const [flapping, devices] = await Promise.all([this.redis.hget(this.keys.record(id), 'flapping'), this.redis.hgetall(this.keys.devices(id))]);
			// An incident forgotten after its TTL leaves the open index here (the oldest come first).
			if (flapping === null) gone.push(id);
			if (flapping !== '1') continue;
			for (const [fingerprint, member] of Object.entries(devices)) {
				reviewed++;
				const hostname = member.split('|')[2] ?? '';
				const [decision, reason, incidentId, stillFlapping, percent] = await this.runScript(fingerprint, settings, now, { ...TICK, hostname });
				if (decision === 'none') continue;
				const incident = incidentId ? await this.get(incidentId, now) : null;
				const result = { decision: decision as Decision, reason, fingerprint, site: incident?.site ?? null, rule: null, flapping: stillFlapping === 1, flapPercent: Math.round(Number(percent) * 100) / 100, incident, diagnosisClaim: null };
				changes.push({ ...result, message: describe(result, hostname) });
			}
		}
		if (gone.length > 0) await this.redis.zrem(this.keys.open, ...gone);
		return { reviewed, changes };
	}

	async get(id: string, now = this.clock()): Promise<IncidentView | null> {
		if (!INCIDENT_ID.test(id)) return null;
		const [record, devices] = await Promise.all([this.redis.hgetall(this.keys.record(id)), this.redis.hgetall(this.keys.devices(id))]);
		if (!record.status) return null;
		return incidentView(record, devices, now, DIAGNOSIS_FRESH_MS);
	}

	/** Newest first; ids whose record expired leave the index on the way. */
	async list(status: 'open' | 'recovered', limit: number, now = this.clock(), filter: { withoutTicket?: boolean } = {}): Promise<IncidentView[]> {
		const index = status === 'open' ? this.keys.open : this.keys.recent;
		// Those without a ticket may be old ones behind many ticketed ones (kept while GLPI was down):
		// that filter reads the whole index, so none is missed, rather than the newest 2 × limit.
		const ids = await this.redis.zrevrange(index, 0, filter.withoutTicket ? -1 : Math.max(0, limit * 2 - 1));
		const incidents: IncidentView[] = [];
		const gone: string[] = [];
		for (const id of ids) {
			if (incidents.length >= limit) break;
			const incident = await this.get(id, now);
			if (incident && incident.status === status) {
				if (!filter.withoutTicket || incident.ticketId === null) incidents.push(incident);
			}
			else if (!incident) gone.push(id);
		}
		if (gone.length > 0) await this.redis.zrem(index, ...gone);
		return incidents;
	}

	/**
	 * One diagnosis per incident: a fresh one (under 20 min) is returned as is; otherwise exactly one
	 * caller gets the claim, for `ttlMs`, and the others are told who holds it until when.
	 */
	async claimDiagnosis(id: string, ttlMs = DIAGNOSIS_CLAIM_MS, now = this.clock()) {
		const missing = () => new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		if (!INCIDENT_ID.test(id)) throw missing();
		const token = newToken();
		const [outcome, at] = await this.commands.widipIncidentClaimDiagnosis(this.keys.record(id), now, token, ttlMs, DIAGNOSIS_FRESH_MS);
		if (outcome === 'missing') throw missing();
		if (outcome === 'claimed') return { claimed: true, token, expiresAt: new Date(Number(at)).toISOString(), incident: await this.get(id, now) };
		return {
			claimed: false,
			why: outcome === 'fresh' ? ('diagnosis_fresh' as const) : ('claimed_by_another' as const),
			heldUntil: outcome === 'held' ? new Date(Number(at)).toISOString() : null,
			incident: await this.get(id, now),
		};
	}

	/** Saves the diagnosis if `token` holds the claim; the claim ends with it. */
	/**
	 * Records the ticket made for an incident, once: the first ticket stays (a second create, from a
	 * retried run, learns the ticket already there). Never creates a record that expired.
	 */
	async linkTicket(id: string, ticketId: number, now = this.clock()): Promise<{ linked: boolean; ticketId: number; incident: IncidentView | null }> {
		if (!INCIDENT_ID.test(id)) throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		const outcome = Number(await this.commands.widipIncidentLinkTicket(this.keys.record(id), String(ticketId)));
		if (outcome < 0) throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		return { linked: outcome === 0, ticketId: outcome === 0 ? ticketId : outcome, incident: await this.get(id, now) };
	}

	/**
	 * Gives a diagnosis claim back unused (the diagnosis could not be made or used now, e.g. GLPI is
	 * down), so the next caller may claim at once instead of after the claim's 5 minutes.
	 */
	async releaseDiagnosis(id: string, token: string): Promise<{ released: boolean; why: string | null }> {
		if (!INCIDENT_ID.test(id)) throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		const outcome = await this.commands.widipIncidentReleaseDiagnosis(this.keys.record(id), token);
		if (outcome === 'missing') throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		return { released: outcome === 'released', why: outcome === 'released' ? null : 'claim_not_held' };
	}

	async saveDiagnosis(id: string, token: string, text: string, now = this.clock()): Promise<{ saved: boolean; why: string | null; incident: IncidentView | null }> {
		if (!INCIDENT_ID.test(id)) throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		const outcome = await this.commands.widipIncidentSaveDiagnosis(this.keys.record(id), token, now, text.slice(0, MAX_DIAGNOSIS_LENGTH));
		if (outcome === 'missing') throw new WidipError('not_found', `Incident "${id}" does not exist (or expired)`, { service: 'incident' });
		return { saved: outcome === 'saved', why: outcome === 'saved' ? null : 'claim_not_held', incident: await this.get(id, now) };
	}
}
