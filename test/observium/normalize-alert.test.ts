import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { normalizeAlert } from '../../core/observium/alert-webhook';
import { ObserviumClient } from '../../core/observium/client';
import { ALERT, NORMALIZED_ALERT } from './alert-fixture';

const RECOVER = {
	...ALERT,
	ALERT_STATE: 'RECOVER',
	ALERT_STATUS: '1',
	CONDITIONS: '',
	DURATION: '1h 2m 3s (2020-09-19 19:22:35)',
};

describe('observium.normalize_alert', () => {
	// The registry hands every Observium operation a client; this one points nowhere, so any HTTP
	// call would fail the test.
	const observium = new ObserviumClient({
		baseUrl: 'http://127.0.0.1:9/api/v0',
		username: 'u',
		password: 'p',
		timeoutMs: 200,
		retries: 0,
	});
	const run = (payload: unknown) => catalogue.run('observium.normalize_alert', { payload }, { observium });

	it('turns an ALERT into the one alert shape, with an ISO time', () => {
		expect(normalizeAlert(ALERT)).toEqual(NORMALIZED_ALERT);
	});

	it('a RECOVER keeps the alert id, says it recovered, and has no conditions', () => {
		const recovered = normalizeAlert(RECOVER);
		expect(recovered).toMatchObject({
			alertId: 9827,
			state: 'RECOVER',
			isRecovery: true,
			status: 'ok',
			conditions: [],
			durationSeconds: 3723,
		});
	});

	it('reminders and syslog alerts are recognised', () => {
		expect(normalizeAlert({ ...ALERT, ALERT_STATE: 'alert  reminder' })).toMatchObject({
			state: 'ALERT REMINDER',
			isReminder: true,
			status: 'failed',
		});
		expect(
			normalizeAlert({
				...ALERT,
				ALERT_STATE: 'SYSLOG',
				ENTITY_TYPE: 'syslog',
				SYSLOG_MESSAGE: '%LINK-3-UPDOWN: Interface Gi0/0/0, changed state to down',
			}),
		).toMatchObject({ state: 'SYSLOG', syslogMessage: '%LINK-3-UPDOWN: Interface Gi0/0/0, changed state to down' });
	});

	it('accepts the whole n8n Webhook item, a JSON text body, and the script transport names', async () => {
		const expected = normalizeAlert(ALERT);
		expect(await run({ headers: { 'content-type': 'application/json' }, params: {}, query: {}, body: ALERT })).toEqual(expected);
		expect(await run({ body: JSON.stringify(ALERT) })).toEqual(expected);
		const scriptStyle = Object.fromEntries(Object.entries(ALERT).map(([key, value]) => [`OBSERVIUM_${key}`, String(value)]));
		expect(normalizeAlert(scriptStyle)).toEqual(expected);
	});

	it('multi-line conditions become one entry per line', () => {
		const alert = normalizeAlert({ ...ALERT, CONDITIONS: 'ifOperStatus notequals up (down)\nifAdminStatus equals up (up)' });
		expect(alert.conditions).toEqual(['ifOperStatus notequals up (down)', 'ifAdminStatus equals up (up)']);
	});

	it('falls back to ALERT_TIMESTAMP when ALERT_UNIXTIME is absent', () => {
		const { ALERT_UNIXTIME, ...withoutUnix } = ALERT;
		void ALERT_UNIXTIME;
		expect(normalizeAlert(withoutUnix).time).toBe('2020-09-19T16:27:04.000Z');
	});

	it('a payload missing required tags fails naming each one', async () => {
		const { ALERT_ID, DEVICE_HOSTNAME, ...partial } = ALERT;
		void ALERT_ID;
		void DEVICE_HOSTNAME;
		await expect(run(partial)).rejects.toThrow(
			"Observium alert payload (observium.normalize_alert): missing ALERT_ID, DEVICE_HOSTNAME (expected Observium's ALL_CAPS notification tags)",
		);
		await expect(run({})).rejects.toMatchObject({
			kind: 'bad_request',
			service: 'observium',
			operation: 'observium.normalize_alert',
		});
		await expect(run({ ...ALERT, ALERT_STATE: '' })).rejects.toThrow(/missing ALERT_STATE/);
	});

	it('malformed values are named too', () => {
		const { ALERT_UNIXTIME, ALERT_TIMESTAMP, ...timeless } = ALERT;
		void ALERT_UNIXTIME;
		void ALERT_TIMESTAMP;
		expect(() => normalizeAlert(timeless)).toThrow(/missing ALERT_UNIXTIME/);
		expect(() => normalizeAlert({ ...timeless, ALERT_TIMESTAMP: 'soon' })).toThrow(/ALERT_TIMESTAMP "soon" is not a date/);
		// A malformed ALERT_UNIXTIME is an error of its own, no longer skipped for ALERT_TIMESTAMP.
		expect(() => normalizeAlert({ ...ALERT, ALERT_UNIXTIME: 'yesterday' })).toThrow(/ALERT_UNIXTIME "yesterday" is not a unix time/);
		expect(() => normalizeAlert({ ...ALERT, ALERT_STATE: 'PANIC' })).toThrow(
			'ALERT_STATE "PANIC" is not one of ALERT, RECOVER, SYSLOG, ALERT REMINDER',
		);
		expect(() => normalizeAlert({ ...ALERT, ALERT_ID: 'abc' })).toThrow(WidipError);
		expect(() => normalizeAlert({ ...ALERT, ALERT_ID: 'abc' })).toThrow(/ALERT_ID "abc" is not Observium's numeric alert id/);
	});

	it('a payload that is not an object is refused by the input schema', async () => {
		await expect(run('ALERT_STATE=ALERT')).rejects.toThrow(/Invalid input for observium\.normalize_alert: payload: /);
	});
});
