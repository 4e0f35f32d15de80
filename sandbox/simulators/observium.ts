import type { FastifyReply, FastifyRequest } from 'fastify';

import { SimulatorServer } from './base';
import { deviceName, SITES, type Site } from './seed-data';

/**
 * Observium's REST API (`/api/v0`, Subscription Edition) over the seeded sites, as documented
 * (refs/services.md §2): HTTP basic auth, collections keyed by id with string values,
 * `{"status":"ok","count":N,"devices":{...}}`, `[]` for an empty collection (PHP's encoding of an
 * empty array), a single entity as `{"status":"ok","device":{...}}`, 404 for an unknown id.
 */

export const DEFAULT_OBSERVIUM_USERNAME = 'widip-api';
export const DEFAULT_OBSERVIUM_PASSWORD = 'observium-sandbox-password';

/**
 * Sites in trouble right now, minutes since it began. They mirror the Phibee simulator's
 * scenarios (fibre cut, router down, power cut: the whole site is unreachable from Observium),
 * so a diagnosis crossing both services stays consistent.
 */
export const OBSERVIUM_SITES_DOWN: Readonly<Record<string, number>> = { BELLEVUE: 35, TILLEULS: 40, STJOSEPH: 45 };

export const CHECKS = { deviceDown: 1, deviceRebooted: 2, portDown: 3, portErrors: 4 } as const;

type Row = Record<string, string | null>;
type Role = 'RTR' | 'SW' | 'AP' | 'FW';

export interface ObserviumSimulatorOptions {
	username?: string;
	password?: string;
	/** Clock of the simulated world (tests may freeze it). */
	now?: () => number;
	logger?: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** MySQL DATETIME in the simulated server's zone (UTC). */
function datetime(ms: number): string {
	return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function unix(ms: number): string {
	return String(Math.floor(ms / 1000));
}

/** Deterministic 0–1 value per seed, so every run serves the same traffic figures. */
function noise(seed: number): number {
	const x = Math.sin(seed * 12.9898) * 43758.5453;
	return x - Math.floor(x);
}

const HARDWARE: Record<Role, Row> = {
	RTR: { type: 'network', os: 'iosxe', os_text: 'Cisco IOS-XE', vendor: 'Cisco', hardware: 'C1111-4P', version: '17.9.4a' },
	SW: { type: 'network', os: 'procurve', os_text: 'HPE ProCurve', vendor: 'HPE', hardware: 'J9773A', version: 'YA.16.11.0012' },
	AP: { type: 'wireless', os: 'unifi', os_text: 'Ubiquiti UniFi', vendor: 'Ubiquiti', hardware: 'U6-Lite', version: '6.6.77' },
	FW: {
		type: 'firewall',
		os: 'fortigate',
		os_text: 'Fortinet FortiOS',
		vendor: 'Fortinet',
		hardware: 'FortiGate-100F',
		version: '7.2.8',
	},
};

/** [ifName, ifAlias, speed Mbit/s, admin up, typical load 0–1]. */
const PORTS: Record<Role, Array<[string, string, number, boolean, number]>> = {
	RTR: [
		['Gi0/0/0', 'WAN Phibee', 1000, true, 0.06],
		['Gi0/1/0', 'LAN vers SW01', 1000, true, 0.05],
		['Gi0/1/1', '', 1000, false, 0],
	],
	SW: [
		['1', 'Uplink RTR01', 1000, true, 0.05],
		['2', 'AP01 (PoE)', 1000, true, 0.02],
		['3', 'Accueil', 100, true, 0.03],
		['4', 'Infirmerie', 100, true, 0.04],
		['5', 'Imprimante', 100, true, 0.005],
		['6', '', 1000, false, 0],
	],
	AP: [
		['eth0', 'Uplink SW01 port 2', 1000, true, 0.02],
		['wifi0', 'Radio 5 GHz', 1200, true, 0.015],
	],
	FW: [
		['port1', 'Transit', 10000, true, 0.08],
		['port2', 'Sites VPN', 10000, true, 0.06],
	],
};

interface DeviceSpec {
	deviceId: number;
	hostname: string;
	sysName: string;
	ip: string;
	role: Role;
	location: string;
	purpose: string;
	/** Site code, named in the WAN port's description (the Phibee link id). */
	siteCode?: string;
}

/**
 * Site devices are named as WIDIP names them (`EHPAD-Bellevue-RTR01`); the datacenter firewalls
 * carry full domain names, as Observium hosts often do.
 */
function seededDevices(): DeviceSpec[] {
	const roles = ['RTR', 'SW', 'AP'] as const;
	const purposes = { RTR: 'router', SW: 'switch', AP: 'Wi-Fi access point' };
	const devices: DeviceSpec[] = SITES.flatMap((site: Site, siteIndex) =>
		roles.map((role, roleIndex) => ({
			deviceId: siteDeviceId(siteIndex, role),
			hostname: deviceName(site, role),
			sysName: `${deviceName(site, role)}.${site.code.toLowerCase()}.widip.lan`,
			ip: role === 'RTR' ? site.wanIp : `10.${20 + siteIndex}.0.${roleIndex + 1}`,
			role,
			location: `${site.name}, ${site.city}, France`,
			purpose: `${site.name} ${purposes[role]}`,
			siteCode: site.code,
		})),
	);
	for (const [index, city] of ['Lyon', 'Grenoble'].entries()) {
		const hostname = `core-fw01.dc${index + 1}.widip.net`;
		devices.push({
			deviceId: 901 + index,
			hostname,
			sysName: hostname,
			ip: `203.0.113.${index + 1}`,
			role: 'FW',
			location: `WIDIP datacenter, ${city}, France`,
			purpose: `WIDIP core firewall (${city})`,
		});
	}
	return devices;
}

/** 101, 102, 103 for the first site's router, switch, AP; 111… for the second. */
export function siteDeviceId(siteIndex: number, role: 'RTR' | 'SW' | 'AP'): number {
	return 101 + siteIndex * 10 + ['RTR', 'SW', 'AP'].indexOf(role);
}

interface Episode {
	deviceId: number;
	checkId: number;
	entityType: 'device' | 'port';
	entityId: number;
	start: number;
	end?: number;
}

/** The simulated Observium: seeded state, the API routes, and controls for tests. */
export class ObserviumSimulator extends SimulatorServer {
	readonly devices = new Map<number, Row>();
	readonly ports = new Map<number, Row>();
	readonly alertChecks = new Map<number, Row>();
	readonly alertTable = new Map<number, Row>();
	readonly alertLog = new Map<number, Row>();
	readonly username: string;
	private readonly password: string;
	private readonly now: () => number;

	constructor(options: ObserviumSimulatorOptions = {}) {
		super('observium', {
			logger: options.logger,
			errorBody: (status) => ({ status: 'failed', message: status === 429 ? 'Too many requests' : 'Internal server error' }),
		});
		this.username = options.username ?? DEFAULT_OBSERVIUM_USERNAME;
		this.password = options.password ?? DEFAULT_OBSERVIUM_PASSWORD;
		this.now = options.now ?? Date.now;
		this.seed();
		this.routes();
	}

	/** A device row by id or hostname (case-insensitive), as Observium resolves `/devices/<x>/`. */
	findDevice(reference: string | number): Row | undefined {
		const ref = String(reference);
		if (/^\d+$/.test(ref)) return this.devices.get(Number(ref));
		return [...this.devices.values()].find((device) => device.hostname!.toLowerCase() === ref.toLowerCase());
	}

	/** Control for tests and the demo: the device goes down (or back up) now, with its alert and log. */
	setDeviceStatus(reference: string | number, status: 'up' | 'down', reason = 'ping'): void {
		const device = this.findDevice(reference);
		if (!device) throw new Error(`Observium simulator: no device "${reference}"`);
		const deviceId = Number(device.device_id);
		if ((device.status === '1') === (status === 'up')) return;
		const at = this.now();
		device.status = status === 'up' ? '1' : '0';
		device.status_type = status === 'up' ? 'ok' : reason;
		const entry = { deviceId, checkId: CHECKS.deviceDown, entityType: 'device' as const, entityId: deviceId };
		const events = status === 'down' ? this.failEvents(entry, at, undefined) : this.recoverEvents(entry, at);
		this.appendLog(events);
	}

	private seed(): void {
		this.seedChecks();
		for (const device of seededDevices()) this.seedDevice(device);
		this.seedHistory();
	}

	private seedChecks(): void {
		const check = (
			id: number,
			entityType: string,
			name: string,
			message: string,
			severity: string,
			and: boolean,
			conditions: unknown[],
		) =>
			this.alertChecks.set(id, {
				alert_test_id: String(id),
				entity_type: entityType,
				alert_name: name,
				alert_message: message,
				conditions: JSON.stringify(conditions),
				and: and ? '1' : '0',
				severity,
				delay: '0',
				alerter: null,
				enable: '1',
				suppress_recovery: '0',
				ignore_until: null,
			});
		check(CHECKS.deviceDown, 'device', 'Device Down', 'Device is not answering ping or SNMP', 'crit', true, [
			{ metric: 'device_status', condition: 'equals', value: '0' },
		]);
		check(CHECKS.deviceRebooted, 'device', 'Device Rebooted', 'Device uptime is under 10 minutes', 'warn', true, [
			{ metric: 'device_uptime', condition: 'lt', value: '600' },
		]);
		check(CHECKS.portDown, 'port', 'Port Down', 'Enabled port is down', 'crit', true, [
			{ metric: 'ifOperStatus', condition: 'notequals', value: 'up' },
			{ metric: 'ifAdminStatus', condition: 'equals', value: 'up' },
		]);
		check(CHECKS.portErrors, 'port', 'Port Errors', 'Port is seeing errors', 'warn', false, [
			{ metric: 'ifInErrors_rate', condition: 'gt', value: '1' },
			{ metric: 'ifOutErrors_rate', condition: 'gt', value: '1' },
		]);
	}

	private seedDevice({ deviceId, hostname, sysName, ip, role, location, purpose, siteCode }: DeviceSpec): void {
		const now = this.now();
		const uptimeSeconds = Math.floor((20 + 40 * noise(deviceId)) * 86_400);
		this.devices.set(deviceId, {
			device_id: String(deviceId),
			hostname,
			sysName,
			ip,
			snmp_version: 'v2c',
			...HARDWARE[role],
			serial: `${role}${(siteCode ?? 'WIDIP').slice(0, 4)}${String(deviceId).padStart(5, '0')}`,
			features: null,
			location,
			purpose,
			sysDescr: `${HARDWARE[role].os_text} ${HARDWARE[role].hardware} ${HARDWARE[role].version}`,
			status: '1',
			status_type: 'ok',
			disabled: '0',
			ignore: '0',
			uptime: String(uptimeSeconds),
			last_rebooted: unix(now - uptimeSeconds * 1000),
			last_polled: datetime(now - 3 * MINUTE),
			last_polled_timetaken: (2 + 3 * noise(deviceId + 7)).toFixed(2),
			last_discovered: datetime(now - 4 * HOUR),
		});
		this.alertRow(deviceId, CHECKS.deviceDown, 'device', deviceId, now - 9 * DAY);
		this.alertRow(deviceId, CHECKS.deviceRebooted, 'device', deviceId, now - 9 * DAY);
		PORTS[role].forEach(([ifName, alias, speed, adminUp, load], index) => {
			const portId = deviceId * 100 + index + 1;
			const octets = (fraction: number) => String(Math.round(speed * 125_000 * load * (0.6 + 0.8 * fraction)));
			this.ports.set(portId, {
				port_id: String(portId),
				device_id: String(deviceId),
				ifIndex: String(index + 1),
				ifDescr: role === 'RTR' ? ifName.replace(/^Gi/, 'GigabitEthernet') : ifName,
				ifName,
				port_label: ifName,
				port_label_short: ifName,
				ifAlias: alias === 'WAN Phibee' ? `WAN Phibee LNK-${siteCode}-01` : alias,
				ifType: ifName.startsWith('wifi') ? 'ieee80211' : 'ethernetCsmacd',
				ifAdminStatus: adminUp ? 'up' : 'down',
				ifOperStatus: adminUp ? 'up' : 'down',
				ifLastChange: datetime(now - 12 * DAY),
				ifSpeed: String(speed * 1_000_000),
				ifHighSpeed: String(speed),
				ifDuplex: 'fullDuplex',
				ifMtu: '1500',
				ifInOctets_rate: adminUp ? octets(noise(portId)) : '0',
				ifOutOctets_rate: adminUp ? octets(noise(portId + 1)) : '0',
				ifInErrors_rate: '0',
				ifOutErrors_rate: '0',
				ifInUcastPkts_rate: adminUp ? String(Math.round(400 * noise(portId + 2))) : '0',
				ifOutUcastPkts_rate: adminUp ? String(Math.round(400 * noise(portId + 3))) : '0',
				disabled: '0',
				deleted: '0',
				ignore: '0',
			});
			if (adminUp) {
				this.alertRow(deviceId, CHECKS.portDown, 'port', portId, now - 9 * DAY);
				this.alertRow(deviceId, CHECKS.portErrors, 'port', portId, now - 9 * DAY);
			}
		});
		if (role === 'SW') {
			// A port Observium saw once and then lost: kept with deleted=1, as Observium does.
			const portId = deviceId * 100 + 99;
			this.ports.set(portId, {
				...this.ports.get(deviceId * 100 + 3)!,
				port_id: String(portId),
				ifIndex: '99',
				ifName: '99',
				ifDescr: '99',
				port_label: '99',
				port_label_short: '99',
				ifAlias: 'old',
				deleted: '1',
			});
		}
	}

	private alertRow(deviceId: number, checkId: number, entityType: 'device' | 'port', entityId: number, okSince: number): void {
		const id = this.alertTable.size + 1;
		this.alertTable.set(id, {
			alert_table_id: String(id),
			alert_test_id: String(checkId),
			device_id: String(deviceId),
			entity_type: entityType,
			entity_id: String(entityId),
			alert_assocs: '',
			delay: '0',
			ignore_until: null,
			ignore_until_ok: '0',
			last_checked: unix(this.now() - 3 * MINUTE),
			last_changed: unix(okSince),
			last_recovered: '0',
			last_ok: unix(this.now() - 3 * MINUTE),
			last_failed: '0',
			has_alerted: '0',
			last_message: 'Checks OK',
			alert_status: '1',
			last_alerted: '0',
			state: this.entryState({ deviceId, checkId, entityType, entityId }, false),
			count: '0',
		});
	}

	/** Past and current outages; each becomes alert_log rows and the alert entries' state. */
	private seedHistory(): void {
		const now = this.now();
		const site = (code: string) => SITES.findIndex((candidate) => candidate.code === code);
		const siteDevices = (code: string) => (['RTR', 'SW', 'AP'] as const).map((role) => siteDeviceId(site(code), role));
		const deviceDown = (deviceId: number, start: number, end?: number): Episode => ({
			deviceId,
			checkId: CHECKS.deviceDown,
			entityType: 'device',
			entityId: deviceId,
			start,
			end,
		});
		const episodes: Episode[] = [];
		for (const deviceId of siteDevices('BELLEVUE'))
			episodes.push(deviceDown(deviceId, now - 3 * DAY, now - 3 * DAY + 25 * MINUTE));
		// The Tilleuls router was flapping before it died: three short outages in the last day.
		for (const [hoursAgo, minutes] of [
			[20, 3],
			[7, 6],
			[3, 4],
		]) {
			for (const deviceId of siteDevices('TILLEULS'))
				episodes.push(deviceDown(deviceId, now - hoursAgo * HOUR, now - hoursAgo * HOUR + minutes * MINUTE));
		}
		for (const [code, minutesAgo] of Object.entries(OBSERVIUM_SITES_DOWN)) {
			for (const deviceId of siteDevices(code)) {
				episodes.push(deviceDown(deviceId, now - minutesAgo * MINUTE));
				Object.assign(this.devices.get(deviceId)!, { status: '0', status_type: 'ping' });
			}
		}
		// Les Glycines: the switch port of the infirmary is taking errors (bad cable).
		const glycinesSwitch = siteDeviceId(site('GLYCINES'), 'SW');
		const badPort = glycinesSwitch * 100 + 4;
		Object.assign(this.ports.get(badPort)!, { ifInErrors_rate: '12.5', ifOutErrors_rate: '0.0333' });
		episodes.push({
			deviceId: glycinesSwitch,
			checkId: CHECKS.portErrors,
			entityType: 'port',
			entityId: badPort,
			start: now - 2 * HOUR,
		});
		// Le Clos Fleuri: the router rebooted six hours ago.
		const closRouter = siteDeviceId(site('CLOSFLEURI'), 'RTR');
		Object.assign(this.devices.get(closRouter)!, { uptime: String(6 * 3600 + 180), last_rebooted: unix(now - 6 * HOUR) });
		episodes.push({
			deviceId: closRouter,
			checkId: CHECKS.deviceRebooted,
			entityType: 'device',
			entityId: closRouter,
			start: now - 6 * HOUR,
			end: now - 6 * HOUR + 10 * MINUTE,
		});

		const events = episodes.flatMap((episode) => [
			...this.failEvents(episode, episode.start, episode.end),
			...(episode.end === undefined ? [] : this.recoverEvents(episode, episode.end)),
		]);
		this.appendLog(events.sort((a, b) => Number(a.at) - Number(b.at)));
	}

	private alertEntryOf(episode: Pick<Episode, 'checkId' | 'entityType' | 'entityId'>): Row {
		const entry = [...this.alertTable.values()].find(
			(row) =>
				row.alert_test_id === String(episode.checkId) &&
				row.entity_type === episode.entityType &&
				row.entity_id === String(episode.entityId),
		);
		if (!entry)
			throw new Error(
				`Observium simulator: no alert entry for check ${episode.checkId} on ${episode.entityType} ${episode.entityId}`,
			);
		return entry;
	}

	/** FAIL then ALERT_NOTIFY (unless it recovered first); the entry turns failed. */
	private failEvents(episode: Omit<Episode, 'start'>, at: number, end: number | undefined): Array<Row & { at: string }> {
		// Past outages were notified a minute in; a live one (set by a test) is notified at once.
		const notifiedAt = Math.min(at + MINUTE, this.now());
		Object.assign(this.alertEntryOf(episode), {
			alert_status: '0',
			last_message: 'Checks failed',
			last_changed: unix(at),
			last_failed: unix(end ?? this.now() - 3 * MINUTE),
			has_alerted: '1',
			last_alerted: unix(notifiedAt),
			state: this.entryState(episode, true),
		});
		const events = [this.logRow(episode, at, 'FAIL', 'Checks failed')];
		if (end === undefined || end > notifiedAt)
			events.push(this.logRow(episode, notifiedAt, 'ALERT_NOTIFY', 'Alert notification sent'));
		return events;
	}

	private recoverEvents(episode: Omit<Episode, 'start'>, at: number): Array<Row & { at: string }> {
		Object.assign(this.alertEntryOf(episode), {
			alert_status: '1',
			last_message: 'Checks OK',
			last_changed: unix(at),
			last_recovered: unix(at),
			last_ok: unix(Math.max(at, this.now() - 3 * MINUTE)),
			has_alerted: '0',
			state: this.entryState(episode, false),
		});
		return [
			this.logRow(episode, at, 'OK', 'Checks succeeded'),
			this.logRow(episode, Math.min(at + 1000, this.now()), 'RECOVER_NOTIFY', 'Recovery notification sent'),
		];
	}

	/** The alert entry's `state` JSON: the metrics last seen and, when failing, the failed conditions. */
	private entryState(episode: Omit<Episode, 'start'>, failing: boolean): string {
		const conditions = JSON.parse(this.alertChecks.get(episode.checkId)!.conditions!) as Condition[];
		const metrics = Object.fromEntries(
			conditions.map((condition) => [condition.metric, this.metricValue(episode, condition.metric, failing)]),
		);
		const failed = failing ? conditions.filter((condition) => holds(metrics[condition.metric], condition)) : [];
		return JSON.stringify(failed.length > 0 ? { metrics, failed } : { metrics });
	}

	private metricValue(episode: Omit<Episode, 'start'>, metric: string, failing: boolean): string {
		if (metric === 'device_status') return failing ? '0' : '1';
		if (metric === 'device_uptime') return failing ? '180' : (this.devices.get(episode.deviceId)?.uptime ?? '0');
		return this.ports.get(episode.entityId)?.[metric] ?? '';
	}

	private logRow(episode: Omit<Episode, 'start'>, at: number, logType: string, message: string): Row & { at: string } {
		return {
			at: String(at),
			alert_test_id: String(episode.checkId),
			device_id: String(episode.deviceId),
			entity_type: episode.entityType,
			entity_id: String(episode.entityId),
			timestamp: datetime(at),
			log_type: logType,
			message,
		};
	}

	private appendLog(events: Array<Row & { at: string }>): void {
		for (const { at, ...event } of events) {
			void at;
			const id = this.alertLog.size + 1;
			this.alertLog.set(id, { event_id: String(id), ...event });
		}
	}

	private routes(): void {
		this.app.addHook('onRequest', async (request, reply) => this.authenticate(request, reply));
		this.app.setNotFoundHandler(async (_request, reply) => fail(reply, 404, 'Unknown API endpoint'));
		const api = (
			path: string,
			handler: (request: FastifyRequest<{ Params: { id: string }; Querystring: Query }>, reply: FastifyReply) => unknown,
		) => {
			for (const variant of [`/api/v0/${path}`, `/api/v0/${path}/`]) this.app.get(variant, handler as never);
		};
		api('devices', (request) => collection('devices', this.filterDevices(request.query), 'device_id'));
		api('devices/:id', (request, reply) => single(reply, 'device', this.findDevice(request.params.id), 'Device does not exist'));
		api('ports', (request) => collection('ports', this.filterPorts(request.query), 'port_id'));
		api('ports/:id', (request, reply) => single(reply, 'port', this.ports.get(Number(request.params.id)), 'Port does not exist'));
		api('alerts', (request) => collection('alerts', this.filterAlerts(request.query), 'alert_table_id'));
		api('alerts/:id', (request, reply) =>
			single(reply, 'alert', this.expand(this.alertTable.get(Number(request.params.id)), request.query), 'Alert does not exist'),
		);
		api('alert_checks', () => collection('alert_checks', [...this.alertChecks.values()], 'alert_test_id'));
		api('alert_checks/:id', (request, reply) =>
			single(reply, 'alert_check', this.alertChecks.get(Number(request.params.id)), 'Alert check does not exist'),
		);
		api('alert_log', (request) => collection('alert_log', this.filterAlertLog(request.query), 'event_id'));
		this.app.post('/__sim/observium/device-status', async (request) => {
			const { device, status } = request.body as { device: string; status: 'up' | 'down' };
			this.setDeviceStatus(device, status);
			return { ok: true };
		});
	}

	private async authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
		if (!request.url.startsWith('/api/')) return;
		const header = request.headers.authorization ?? '';
		const [scheme, encoded] = header.split(' ');
		const decoded = scheme?.toLowerCase() === 'basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
		const colon = decoded.indexOf(':');
		if (colon > 0 && decoded.slice(0, colon) === this.username && decoded.slice(colon + 1) === this.password) return;
		reply.header('WWW-Authenticate', 'Basic realm="Observium API"');
		await fail(reply, 401, 'Authentication failed');
	}

	private filterDevices(query: Query): Row[] {
		const contains = (value: string | null, wanted?: string) =>
			!wanted || (value ?? '').toLowerCase().includes(wanted.toLowerCase());
		const fields = query.fields?.split(',').map((field) => field.trim());
		return [...this.devices.values()]
			.filter(
				(device) =>
					matches(device.device_id, query.device_id) &&
					contains(device.hostname, query.hostname) &&
					contains(device.sysName, query.sysname) &&
					contains(device.location, query.location) &&
					matches(device.os, query.os) &&
					matches(device.type, query.type) &&
					matches(device.status, query.status),
			)
			.map((device) => (fields ? { ...pick(device, fields), device_id: device.device_id } : device));
	}

	private filterPorts(query: Query): Row[] {
		return [...this.ports.values()].filter((port) => {
			if (!matches(port.device_id, query.device_id)) return false;
			if (query.state === 'up' && port.ifOperStatus !== 'up') return false;
			if (query.state === 'down' && (port.ifOperStatus === 'up' || port.ifAdminStatus !== 'up')) return false;
			if (query.state === 'admindown' && port.ifAdminStatus !== 'down') return false;
			if (query.errors && Number(port.ifInErrors_rate) + Number(port.ifOutErrors_rate) === 0) return false;
			return true;
		});
	}

	private filterAlerts(query: Query): Row[] {
		const statusCode = { failed: '0', ok: '1', delayed: '2', suppressed: '3' }[query.status ?? 'all'];
		return [...this.alertTable.values()]
			.filter(
				(row) =>
					matches(row.device_id, query.device_id) &&
					matches(row.entity_type, query.entity_type) &&
					matches(row.entity_id, query.entity_id) &&
					matches(row.alert_test_id, query.alert_test_id) &&
					(!statusCode || row.alert_status === statusCode),
			)
			.map((row) => this.expand(row, query)!);
	}

	/** `expand_entities=1` adds the entity's names, as Observium's API does. */
	private expand(row: Row | undefined, query: Query): Row | undefined {
		if (!row || query.expand_entities !== '1') return row;
		const device = this.devices.get(Number(row.device_id));
		const port = row.entity_type === 'port' ? this.ports.get(Number(row.entity_id)) : undefined;
		return {
			...row,
			hostname: device?.hostname ?? null,
			entity_name: port ? port.port_label : (device?.hostname ?? null),
			entity_shortname: port ? port.port_label_short : (device?.hostname ?? null),
			entity_descr: port ? port.ifAlias : (device?.purpose ?? null),
		};
	}

	private filterAlertLog(query: Query): Row[] {
		const bound = (value?: string) => (value && /^\d+$/.test(value) ? datetime(Number(value) * 1000) : value);
		const from = bound(query.timestamp_from);
		const to = bound(query.timestamp_to);
		return [...this.alertLog.values()].filter(
			(row) =>
				matches(row.device_id, query.device_id) &&
				matches(row.entity_type, query.entity_type) &&
				matches(row.entity_id, query.entity_id) &&
				matches(row.alert_test_id, query.alert_test_id) &&
				matches(row.log_type, query.log_type) &&
				(!from || row.timestamp! >= from) &&
				(!to || row.timestamp! <= to),
		);
	}
}

type Query = Partial<Record<string, string>>;

interface Condition {
	metric: string;
	condition: string;
	value: string;
}

function holds(value: string, condition: Condition): boolean {
	switch (condition.condition) {
		case 'equals':
			return value === condition.value;
		case 'notequals':
			return value !== condition.value;
		case 'gt':
			return Number(value) > Number(condition.value);
		case 'lt':
			return Number(value) < Number(condition.value);
		default:
			return false;
	}
}

function matches(value: string | null, wanted?: string): boolean {
	return wanted === undefined || wanted === '' || wanted.split(',').includes(value ?? '');
}

function pick(row: Row, fields: string[]): Row {
	return Object.fromEntries(fields.filter((field) => field in row).map((field) => [field, row[field]]));
}

function collection(key: string, rows: Row[], idField: string): Record<string, unknown> {
	const keyed = Object.fromEntries(rows.map((row) => [String(row[idField]), row]));
	// PHP's json_encode writes an empty array as [], not {}.
	return { status: 'ok', count: rows.length, [key]: rows.length === 0 ? [] : keyed };
}

function single(reply: FastifyReply, key: string, row: Row | undefined, missing: string): unknown {
	if (!row) return fail(reply, 404, missing);
	return { status: 'ok', [key]: row };
}

function fail(reply: FastifyReply, status: number, message: string): FastifyReply {
	return reply.code(status).send({ status: 'failed', message });
}

export function createObserviumSimulator(options: ObserviumSimulatorOptions = {}): ObserviumSimulator {
	return new ObserviumSimulator(options);
}
