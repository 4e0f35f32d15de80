import { createHash } from 'node:crypto';

import type { RedisKeyDoc } from '../redis/keys';

/** The incident engine's keys, all under `<prefix>incident:`. */
export class IncidentKeys {
	constructor(readonly prefix: string) {}

	/** Incident records are `<recordPrefix><id>`; the Lua builds them from this. */
	get recordPrefix(): string {
		return `${this.prefix}incident:id:`;
	}

	record(id: string): string {
		return `${this.recordPrefix}${id}`;
	}

	devices(id: string): string {
		return `${this.record(id)}:devices`;
	}

	fingerprint(fingerprint: string): string {
		return `${this.prefix}incident:fp:${fingerprint}`;
	}

	/** Site names are free text (an Observium location): hashed, so the key stays short and clean. */
	site(site: string): string {
		return `${this.prefix}incident:site:${createHash('sha256').update(site.toLowerCase()).digest('hex').slice(0, 24)}`;
	}

	get open(): string {
		return `${this.prefix}incident:open`;
	}

	get recent(): string {
		return `${this.prefix}incident:recent`;
	}

	get stats(): string {
		return `${this.prefix}incident:stats`;
	}
}

export const INCIDENT_KEY_TABLE: readonly RedisKeyDoc[] = [
	{
		key: '`<prefix>incident:fp:<fingerprint>`',
		type: 'hash',
		ttl: '30 days after its last alert',
		writtenBy: 'Incident Intake, Incident Review',
		meaning: 'One problem (device + entity + check): its last 21 states for flap detection (`h`), flapping and percent state change, last sample time, current or last incident id, the last 8 delivery ids (a webhook delivered twice counts once)',
	},
	{
		key: '`<prefix>incident:id:<id>`',
		type: 'hash',
		ttl: 'open: 7 days after its last alert (`incidentTtlHours`); recovered: 24 h (`closedTtlHours`)',
		writtenBy: 'Incident Intake, Review, Claim / Save Diagnosis, Link Ticket',
		meaning: 'The incident: status open/recovered, kind device/site, site, title, severity, times, alert count, flapping, last notice times, the last alert (≤ 4 KB), the diagnosis (≤ 20,000 characters), who holds the claim to make it, and its GLPI ticket id (set once)',
	},
	{
		key: '`<prefix>incident:id:<id>:devices`',
		type: 'hash',
		ttl: 'as its incident',
		writtenBy: 'Incident Intake',
		meaning: 'fingerprint → `<1 failed | 0 ok>|<since ms>|<hostname>|<upstream 0/1>|<entity>`: the devices of the incident (at most `maxDevicesPerIncident`, 50 by default; more are only counted)',
	},
	{
		key: '`<prefix>incident:site:<site hash>`',
		type: 'string',
		ttl: '2 × site window (300 s default), renewed at each failure of the site\'s incident',
		writtenBy: 'Incident Intake',
		meaning: '`<incident id>|<last failure ms>`: the site\'s open incident, which another failing device of the site joins within the site window',
	},
	{
		key: '`<prefix>incident:open`',
		type: 'sorted set',
		ttl: 'none (ids whose record expired are dropped when listed)',
		writtenBy: 'Incident Intake, Review',
		meaning: 'Open incident ids, score = opened (ms)',
	},
	{
		key: '`<prefix>incident:recent`',
		type: 'sorted set',
		ttl: 'none (the newest 1,000)',
		writtenBy: 'Incident Intake, Review',
		meaning: 'Recovered incident ids, score = recovered (ms)',
	},
	{
		key: '`<prefix>incident:stats`',
		type: 'hash',
		ttl: 'none',
		writtenBy: 'Incident Intake',
		meaning: '`<decision>:<reason>` → count of alerts decided so (e.g. `suppressed:maintenance`)',
	},
];
