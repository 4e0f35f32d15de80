import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { normalizeAlert } from '../../core/observium/alert-webhook';
import { ObserviumClient } from '../../core/observium/client';

/** Tags as Observium's own test fixture lists them (notification_ALERT.json, refs §2.2). */
const ALERT = {
	ALERT_STATE: 'ALERT',
	ALERT_EMOJI: '🔥',
	ALERT_STATUS: '0',
	ALERT_SEVERITY: 'Critical',
	ALERT_COLOR: '#D94640',
	ALERT_URL: 'https://observium.example.org/device/device=101/tab=alert/alert_entry=9827/',
	ALERT_UNIXTIME: 1600532824,
	ALERT_TIMESTAMP: '2020-09-19 19:27:04 +03:00',
	ALERT_ID: '9827',
	ALERT_MESSAGE: 'up/down',
	CONDITIONS: 'device_status equals 0 (0)',
	METRICS: 'device_status = 0',
	DURATION: '4m 29s (2020-09-19 19:22:35)',
	ENTITY_NAME: 'EHPAD-Bellevue-RTR01',
	ENTITY_ID: '101',
	ENTITY_TYPE: 'device',
	ENTITY_DESCRIPTION: 'EHPAD Bellevue router',
	DEVICE_HOSTNAME: 'EHPAD-Bellevue-RTR01',
	DEVICE_SYSNAME: 'EHPAD-Bellevue-RTR01.bellevue.widip.lan',
	DEVICE_ID: '101',
	DEVICE_HARDWARE: 'C1111-4P',
	DEVICE_OS: 'Cisco IOS-XE 17.9.4a',
	DEVICE_TYPE: 'network',
	DEVICE_LOCATION: 'EHPAD Bellevue, Lyon, France',
	DEVICE_UPTIME: '57d 7h 20m',
	TITLE: 'ALERT: [EHPAD-Bellevue-RTR01] [device] up/down',
};

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
		expect(normalizeAlert(ALERT)).toEqual({
			alertId: 9827,
			state: 'ALERT',
			isRecovery: false,
			isReminder: false,
			status: 'failed',
			severity: 'Critical',
			time: '2020-09-19T16:27:04.000Z',
			unixTime: 1600532824,
			title: 'ALERT: [EHPAD-Bellevue-RTR01] [device] up/down',
			message: 'up/down',
			device: {
				id: 101,
				hostname: 'EHPAD-Bellevue-RTR01',
				sysName: 'EHPAD-Bellevue-RTR01.bellevue.widip.lan',
				location: 'EHPAD Bellevue, Lyon, France',
				hardware: 'C1111-4P',
				os: 'Cisco IOS-XE 17.9.4a',
				type: 'network',
				uptime: '57d 7h 20m',
			},
			entity: { type: 'device', id: 101, name: 'EHPAD-Bellevue-RTR01', description: 'EHPAD Bellevue router' },
			conditions: ['device_status equals 0 (0)'],
			metrics: ['device_status = 0'],
			duration: '4m 29s (2020-09-19 19:22:35)',
			durationSeconds: 269,
			url: 'https://observium.example.org/device/device=101/tab=alert/alert_entry=9827/',
			syslogMessage: null,
		});
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
		expect(() => normalizeAlert({ ...ALERT, ALERT_UNIXTIME: 'yesterday', ALERT_TIMESTAMP: 'soon' })).toThrow(
			/ALERT_TIMESTAMP "soon" is not a date/,
		);
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
