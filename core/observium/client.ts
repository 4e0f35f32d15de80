import { WidipError } from '../errors';
import { HttpService, type ErrorDetail, type QueryValue } from '../http/client';
import { silentLogger, type Logger } from '../logger';
import { parseObserviumConfig, type ObserviumConfig, type ObserviumConfigInput } from './config';
import { collectionRows, isApiAnswer, singleRow, toText, type RawRow } from './raw';
import {
	toAlert,
	toAlertCheck,
	toAlertLogEntry,
	toDevice,
	toPort,
	type ObserviumAlert,
	type ObserviumAlertCheck,
	type ObserviumAlertLogEntry,
	type ObserviumDevice,
	type ObserviumPort,
} from './records';
import { formatServerDatetime } from './time';

/** Observium's error bodies are unspecified: use their `message` when there is one. */
export const observiumErrorDetail: ErrorDetail = (status, body) => {
	let message: string | undefined;
	if (typeof body === 'object' && body !== null) {
		const row = body as RawRow;
		message = toText(row.message) ?? toText(row.error) ?? undefined;
	} else if (typeof body === 'string' && body.length < 200 && !body.includes('<')) {
		message = toText(body) ?? undefined;
	}
	const hint = status === 401 || status === 403 ? "check the Observium credential's username and password" : undefined;
	const detail = [message, hint].filter(Boolean).join(': ');
	return detail ? { detail } : undefined;
};

function unexpected(status: number, body: unknown): string {
	if (typeof body !== 'object' || body === null) {
		return "not the API's JSON: is the URL the API root (e.g. https://observium.example.org/api/v0) and the API enabled?";
	}
	const detail = observiumErrorDetail(status, body)?.detail;
	return `status "${String((body as RawRow).status)}"${detail ? `: ${detail}` : ''}`;
}

/**
 * Typed client of Observium's REST API (`/api/v0`, HTTP basic auth). Every call is a read, so
 * every call retries with backoff within the configured timeout; errors name the operation.
 */
export class ObserviumClient {
	readonly config: Omit<ObserviumConfig, 'password'>;
	private readonly http: HttpService;
	/** A true private field: never serialised or inspected along with the client. */
	readonly #authorization: string;

	constructor(config: ObserviumConfigInput, logger: Logger = silentLogger) {
		const { password, ...visible } = parseObserviumConfig(config);
		this.config = visible;
		this.#authorization = `Basic ${Buffer.from(`${visible.username}:${password}`).toString('base64')}`;
		this.http = new HttpService('Observium', 'observium', visible, logger, observiumErrorDetail);
	}

	get timeZone(): string {
		return this.config.timeZone;
	}

	/** A device by numeric id or hostname; a short name also finds `name.domain` when unique. */
	async device(operation: string, reference: string): Promise<ObserviumDevice> {
		const ref = reference.trim();
		const direct = await this.get(operation, `devices/${encodeURIComponent(ref)}/`, {}, [404]);
		const row = direct && singleRow(direct, 'device');
		if (row) return toDevice(row, this.timeZone);
		if (/^\d+$/.test(ref)) throw this.noDevice(operation, ref);

		const candidates = collectionRows(await this.read(operation, 'devices/', { hostname: ref }), 'devices');
		const wanted = ref.toLowerCase();
		// The hostname filter matches substrings: keep only the name itself or name.domain.
		const matches = candidates.filter((candidate) => {
			const hostname = String(candidate.hostname ?? '').toLowerCase();
			return hostname === wanted || hostname.startsWith(`${wanted}.`);
		});
		if (matches.length === 1) return toDevice(matches[0], this.timeZone);
		if (matches.length === 0) throw this.noDevice(operation, ref);
		const names = matches.map((match) => String(match.hostname)).join(', ');
		throw new WidipError(
			'bad_request',
			`Observium (${operation}): "${ref}" matches several devices (${names}); give the full hostname or the device id`,
			{
				service: 'observium',
				operation,
			},
		);
	}

	/** Ports of a device, deleted ones left out. Rates are Observium's last poll. */
	async ports(operation: string, deviceId: number): Promise<ObserviumPort[]> {
		const body = await this.read(operation, 'ports/', { device_id: deviceId });
		return collectionRows(body, 'ports')
			.map((row) => toPort(row, this.timeZone))
			.filter((port) => !port.deleted);
	}

	/** Alert entries of a device (one per check × entity); `failed` keeps only those now failing. */
	async alerts(operation: string, deviceId: number, status: 'failed' | 'all'): Promise<ObserviumAlert[]> {
		const body = await this.read(operation, 'alerts/', { device_id: deviceId, status, expand_entities: 1 });
		return collectionRows(body, 'alerts').map(toAlert);
	}

	async alertChecks(operation: string): Promise<ObserviumAlertCheck[]> {
		return collectionRows(await this.read(operation, 'alert_checks/', {}), 'alert_checks').map(toAlertCheck);
	}

	/** alert_log entries of a device between two instants (epoch ms), oldest first. */
	async alertLog(operation: string, deviceId: number, fromMs: number, toMs: number): Promise<ObserviumAlertLogEntry[]> {
		const body = await this.read(operation, 'alert_log/', {
			device_id: deviceId,
			timestamp_from: formatServerDatetime(fromMs, this.timeZone),
			timestamp_to: formatServerDatetime(toMs, this.timeZone),
		});
		return collectionRows(body, 'alert_log')
			.map((row) => toAlertLogEntry(row, this.timeZone))
			.sort((a, b) => (a.at ?? 0) - (b.at ?? 0) || a.eventId - b.eventId);
	}

	/** Nothing to release: calls share Node's fetch pool. Kept so every service client closes alike. */
	async close(): Promise<void> {}

	private async read(operation: string, path: string, query: Record<string, QueryValue>): Promise<RawRow> {
		return (await this.get(operation, path, query, []))!;
	}

	/** GET with basic auth; `undefined` when the status is one of `accept` (e.g. 404). */
	private async get(
		operation: string,
		path: string,
		query: Record<string, QueryValue>,
		accept: number[],
	): Promise<RawRow | undefined> {
		const response = await this.http.request({
			operation,
			method: 'GET',
			path,
			query,
			headers: { Authorization: this.#authorization },
			retry: true,
			acceptStatus: accept,
		});
		if (accept.includes(response.status)) return undefined;
		if (!isApiAnswer(response.body)) {
			throw new WidipError(
				'bad_request',
				`Observium (${operation}): unexpected answer from ${path} (${unexpected(response.status, response.body)})`,
				{
					service: 'observium',
					operation,
				},
			);
		}
		return response.body;
	}

	private noDevice(operation: string, ref: string): WidipError {
		return new WidipError('not_found', `Observium (${operation}): no device with hostname or id "${ref}"`, {
			service: 'observium',
			operation,
		});
	}
}
