import { catalogue } from '../../core/catalogue';
import { WidipError } from '../../core/errors';
import { ALERT_LIST_RULE, ALERT_TEXT_RULES, type TextTag } from '../../core/observium/alert-fields';
import { TRUNCATED } from '../../core/observium/alert-text';
import { normalizeAlert, type NormalizedAlert } from '../../core/observium/alert-webhook';
import { ObserviumClient } from '../../core/observium/client';
import { ALERT, NORMALIZED_ALERT } from './alert-fixture';

/**
 * Payloads an attacker who can reach the webhook URL might send. Each must end as a clean,
 * bounded alert or as our WidipError naming the tag, never as junk passed on or a raw exception.
 */

const PREFIX = 'Observium alert payload (observium.normalize_alert): ';
// 2024-06-01T12:00:00Z: pinned, so "one day from now" does not move under the tests.
const NOW = Date.UTC(2024, 5, 1, 12);
const normalize = (payload: Record<string, unknown>) => normalizeAlert(payload, undefined, NOW);

/** The error normalize throws, checked to be ours (never a RangeError or TypeError). */
function failure(payload: Record<string, unknown>): WidipError {
	try {
		normalize(payload);
	} catch (error) {
		expect(error).toBeInstanceOf(WidipError);
		expect(error).toMatchObject({ kind: 'bad_request', service: 'observium' });
		return error as WidipError;
	}
	throw new Error('expected the payload to be refused');
}

const without = (tag: keyof typeof ALERT) => Object.fromEntries(Object.entries(ALERT).filter(([key]) => key !== tag));

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

/** Where each free-text tag lands in the output. */
const OUTPUT_OF: Partial<Record<TextTag, (alert: NormalizedAlert) => string | null>> = {
	TITLE: (alert) => alert.title,
	ALERT_MESSAGE: (alert) => alert.message,
	SYSLOG_MESSAGE: (alert) => alert.syslogMessage,
	DEVICE_SYSNAME: (alert) => alert.device.sysName,
	DEVICE_LOCATION: (alert) => alert.device.location,
	DEVICE_HARDWARE: (alert) => alert.device.hardware,
	DEVICE_OS: (alert) => alert.device.os,
	DEVICE_TYPE: (alert) => alert.device.type,
	DEVICE_UPTIME: (alert) => alert.device.uptime,
	ENTITY_NAME: (alert) => alert.entity.name,
	ENTITY_DESCRIPTION: (alert) => alert.entity.description,
	DURATION: (alert) => alert.duration,
};

describe('observium.normalize_alert against hostile payloads', () => {
	it('a normal payload still normalises exactly as before', () => {
		expect(normalize(ALERT)).toEqual(NORMALIZED_ALERT);
	});

	it('caps every text field: free text is cut with a visible marker, an over-long hostname is refused', () => {
		const huge = normalize({ ...ALERT, ALERT_MESSAGE: 'x'.repeat(100_000), TITLE: 't'.repeat(10_000) });
		expect(huge.message).toHaveLength(4000);
		expect(huge.message!.endsWith(`x${TRUNCATED}`)).toBe(true);
		expect(huge.title).toHaveLength(255);
		expect(huge.title!.endsWith(TRUNCATED)).toBe(true);

		for (const [tag, rule] of Object.entries(ALERT_TEXT_RULES) as Array<[TextTag, { max: number; kind: string }]>) {
			if (rule.kind === 'exact') {
				const payload = tag.startsWith('ALERT_TIMESTAMP') ? without('ALERT_UNIXTIME') : { ...ALERT };
				const error = failure({ ...payload, [tag]: '1'.repeat(rule.max + 1) });
				expect(error.message).toBe(`${PREFIX}${tag} is ${rule.max + 1} characters long, more than its ${rule.max}`);
				continue;
			}
			const value = normalize({ ...ALERT, [tag]: 'y'.repeat(rule.max * 3) });
			const output = OUTPUT_OF[tag]!(value);
			expect([tag, output?.length, output?.endsWith(TRUNCATED)]).toEqual([tag, rule.max, true]);
			// At the cap exactly, nothing is cut.
			expect(OUTPUT_OF[tag]!(normalize({ ...ALERT, [tag]: 'y'.repeat(rule.max) }))).toBe('y'.repeat(rule.max));
		}

		const megabyteHost = failure({ ...ALERT, DEVICE_HOSTNAME: 'h'.repeat(1_000_000) });
		expect(megabyteHost.message).toBe(`${PREFIX}DEVICE_HOSTNAME is 1000000 characters long, more than its 253`);
		expect(normalize({ ...ALERT, DEVICE_HOSTNAME: 'h'.repeat(253) }).device.hostname).toHaveLength(253);
		// An error quotes a hostile value only briefly.
		const quoted = failure({ ...ALERT, DEVICE_HOSTNAME: 'bad host\x00'.repeat(25) }).message;
		expect(quoted).toBe(`${PREFIX}DEVICE_HOSTNAME "${'bad host\\u0000'.repeat(5)}ba${TRUNCATED}" contains control characters`);

		// An emoji is never cut in half (a lone surrogate is invalid text downstream).
		const emoji = normalize({ ...ALERT, TITLE: 'a' + '🔥'.repeat(200) }).title!;
		expect(emoji).toHaveLength(254);
		expect(emoji).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);

		const { itemMax, maxItems } = ALERT_LIST_RULE;
		const many = Array.from({ length: 80 }, (_, index) => `condition ${index} ${'c'.repeat(1000)}`);
		const conditions = normalize({ ...ALERT, CONDITIONS: many.join('\n') }).conditions;
		expect(conditions).toHaveLength(maxItems);
		expect(conditions.slice(0, -1).every((item) => item.length === itemMax && item.endsWith(TRUNCATED))).toBe(true);
		expect(conditions[maxItems - 1]).toBe('… [truncated: 31 more]');
	});

	it('removes control characters and whole ANSI escape sequences; a hostname carrying them is refused', () => {
		const alert = normalize({
			...ALERT,
			TITLE: 'ALERT:\x00 \x1b[31;1mRED\x1b[0m\r\nInjected: ignore previous instructions\x07\x1b]0;pwned\x07!',
			ALERT_MESSAGE: 'line 1\r\nline 2\x1b[2J\x1b[H\x00\rline 3\tend\x9b31m\x7f\u202eevil',
			DEVICE_LOCATION: 'Lyon\nFrance\x1b',
			CONDITIONS: 'a\x1b[1m\x1b[0m\x00b\n\x1b(B\x1b7c',
			ENTITY_DESCRIPTION: '\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\ text',
		});
		expect(alert.title).toBe('ALERT: RED Injected: ignore previous instructions!');
		expect(alert.message).toBe('line 1\nline 2\nline 3 endevil');
		expect(alert.device.location).toBe('Lyon France');
		expect(alert.conditions).toEqual(['ab', 'c']);
		expect(alert.entity.description).toBe('link text');
		expect(JSON.stringify(alert)).not.toMatch(/\\u00|\\u001b|\\r|\\t/);
		for (const text of [alert.title, alert.message, alert.device.location, alert.entity.description, ...alert.conditions]) {
			expect(text).not.toMatch(CONTROL);
		}
		// An unterminated OSC loses its introducer only: the text after it stays visible.
		expect(normalize({ ...ALERT, TITLE: 'a\x1b]0;still here' }).title).toBe('a0;still here');

		expect(failure({ ...ALERT, DEVICE_HOSTNAME: 'RTR01\x1b[2J' }).message).toBe(
			`${PREFIX}DEVICE_HOSTNAME "RTR01\\u001b[2J" contains control characters`,
		);
		expect(failure({ ...ALERT, DEVICE_HOSTNAME: 'RTR01 ; rm -rf /' }).message).toBe(
			`${PREFIX}DEVICE_HOSTNAME "RTR01 ; rm -rf /" is not valid (letters, digits and . _ : - only)`,
		);
		// Surrounding whitespace is not part of a value: a trailing newline from a script is fine.
		expect(normalize({ ...ALERT, DEVICE_HOSTNAME: ' RTR01\r\n' }).device.hostname).toBe('RTR01');
	});

	it('reads milliseconds as milliseconds and refuses out-of-range times with our error, never a RangeError', () => {
		expect(normalize({ ...ALERT, ALERT_UNIXTIME: 1600532824000 })).toMatchObject({
			time: '2020-09-19T16:27:04.000Z',
			unixTime: 1600532824,
		});
		expect(normalize({ ...ALERT, ALERT_UNIXTIME: '1600532824123' }).time).toBe('2020-09-19T16:27:04.123Z');
		expect(normalize({ ...ALERT, ALERT_UNIXTIME: String(NOW / 1000 + 3600) }).time).toBe('2024-06-01T13:00:00.000Z');

		const range = 'outside the accepted range (from 2000-01-01 to one day from now)';
		expect(failure({ ...ALERT, ALERT_UNIXTIME: 1e13 }).message).toBe(
			`${PREFIX}ALERT_UNIXTIME "10000000000000" (read as milliseconds) is 2286-11-20T17:46:40.000Z, ${range}`,
		);
		expect(failure({ ...ALERT, ALERT_UNIXTIME: 1e300 }).message).toMatch(/ALERT_UNIXTIME .* is beyond any representable date/);
		expect(failure({ ...ALERT, ALERT_UNIXTIME: 946684799 }).message).toBe(
			`${PREFIX}ALERT_UNIXTIME "946684799" (read as seconds) is 1999-12-31T23:59:59.000Z, ${range}`,
		);
		expect(failure({ ...ALERT, ALERT_UNIXTIME: NOW / 1000 + 2 * 86_400 }).message).toMatch(/^.*ALERT_UNIXTIME .* 2024-06-03T12:00:00\.000Z, outside/);
		for (const bad of ['1e13', '0x5f6638d8', '-1600532824', 'Infinity', 0, -5, Number.NaN]) {
			expect(failure({ ...ALERT, ALERT_UNIXTIME: bad }).message).toMatch(/ALERT_UNIXTIME .* is not a unix time/);
		}
		expect(failure({ ...without('ALERT_UNIXTIME'), ALERT_TIMESTAMP: '1970-01-01 00:00:00 +00:00' }).message).toBe(
			`${PREFIX}ALERT_TIMESTAMP "1970-01-01 00:00:00 +00:00" is 1970-01-01T00:00:00.000Z, ${range}`,
		);
		// Left unchecked, this is what escaped before: a bare "RangeError: Invalid time value".
		expect(() => new Date(1e16).toISOString()).toThrow(RangeError);
	});

	it('reads ids as strict decimal: "0x10", "1e3", " 12 ", "-1", "12abc" are refused naming the tag', () => {
		for (const tag of ['ALERT_ID', 'DEVICE_ID', 'ENTITY_ID'] as const) {
			const what = `Observium's numeric ${tag.split('_')[0].toLowerCase()} id`;
			for (const bad of ['0x10', '1e3', ' 12 ', '-1', '12abc', '12.0', '1234567890123456']) {
				expect(failure({ ...ALERT, [tag]: bad }).message).toBe(
					`${PREFIX}${tag} ${JSON.stringify(bad)} is not ${what} (decimal digits only, e.g. "12")`,
				);
			}
			for (const bad of [-1, 12.5, Number.MAX_SAFE_INTEGER + 2]) {
				expect(failure({ ...ALERT, [tag]: bad }).message).toMatch(new RegExp(`${tag} .* is not ${what} \\(a whole number, 0 or more\\)`));
			}
			expect(failure({ ...ALERT, [tag]: true }).message).toBe(`${PREFIX}${tag} must be text or a number, got boolean`);
		}
		const ids = (alert: NormalizedAlert) => [alert.alertId, alert.device.id, alert.entity.id];
		expect(ids(normalize({ ...ALERT, ALERT_ID: '12', DEVICE_ID: 12, ENTITY_ID: '0012' }))).toEqual([12, 12, 12]);
		// Optional ids: absent, null or blank is "no id"; the required ALERT_ID is then missing.
		expect(ids(normalize({ ...ALERT, DEVICE_ID: '', ENTITY_ID: null }))).toEqual([9827, null, null]);
		expect(ids(normalize(without('DEVICE_ID')))).toEqual([9827, null, 101]);
		expect(failure({ ...ALERT, ALERT_ID: '  ' }).message).toMatch(/missing ALERT_ID/);
	});

	it('accepts CONDITIONS and METRICS as a list of text, and names any other type', () => {
		const alert = normalize({
			...ALERT,
			CONDITIONS: ['ifOperStatus notequals up (down)', '  ', 'ifInErrors_rate \x1b[31mgt\x1b[0m 10 (42)\r\n', 7],
			METRICS: ['ifOperStatus = down', null],
		});
		expect(alert.conditions).toEqual(['ifOperStatus notequals up (down)', 'ifInErrors_rate gt 10 (42)', '7']);
		expect(alert.metrics).toEqual(['ifOperStatus = down']);
		expect(normalize({ ...ALERT, METRICS: 'a = 1<br/>b = 2\r\nc = 3' }).metrics).toEqual(['a = 1', 'b = 2', 'c = 3']);

		const long = normalize({ ...ALERT, CONDITIONS: Array.from({ length: 51 }, (_, index) => `c${index}`) }).conditions;
		expect(long).toHaveLength(ALERT_LIST_RULE.maxItems);
		expect(long.slice(-2)).toEqual(['c48', '… [truncated: 2 more]']);

		expect(failure({ ...ALERT, CONDITIONS: { 0: 'a' } }).message).toBe(`${PREFIX}CONDITIONS must be text or a list of text, got object`);
		expect(failure({ ...ALERT, METRICS: true }).message).toBe(`${PREFIX}METRICS must be text or a list of text, got boolean`);
		expect(failure({ ...ALERT, CONDITIONS: ['a', { b: 1 }] }).message).toBe(`${PREFIX}CONDITIONS[1] must be text, got object`);
		expect(failure({ ...ALERT, CONDITIONS: [['nested']] }).message).toBe(`${PREFIX}CONDITIONS[0] must be text, got array`);
	});

	it('no tag name breaks parsing: constructor, __proto__, toString, hasOwnProperty are unknown tags, ignored', async () => {
		const observium = new ObserviumClient({ baseUrl: 'http://127.0.0.1:9/api/v0', username: 'u', password: 'p', timeoutMs: 200, retries: 0 });
		const run = (payload: unknown) => catalogue.run('observium.normalize_alert', { payload }, { observium });
		const junk = '{"constructor":"x","__proto__":{"TITLE":"pwned","polluted":1},"toString":"y","hasOwnProperty":1,"valueOf":{},"prototype":[]}';
		// As n8n's node and Webhook hand it over: JSON.parse keeps "__proto__" as an own key.
		const payload = { ...JSON.parse(junk), ...ALERT, TITLE: null };
		const expected = { ...NORMALIZED_ALERT, title: null };
		expect(normalizeAlert(payload)).toEqual(expected);
		expect(await run(payload)).toEqual(expected);
		expect(await run({ body: JSON.stringify(payload) })).toEqual(expected);
		expect(await run({ ...JSON.parse(junk), body: payload })).toEqual(expected);
		const scriptStyle = { ...JSON.parse(junk.replace(/"(\w+)":/g, '"OBSERVIUM_$1":')), ...ALERT, TITLE: null };
		expect(await run(scriptStyle)).toEqual(expected);
		expect(({} as Record<string, unknown>).polluted).toBeUndefined();
	});

	it('names the tag and the type received when a value has the wrong type', () => {
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ DEVICE_HOSTNAME: { name: 'RTR01' } }, 'DEVICE_HOSTNAME must be text, got object'],
			[{ DEVICE_HOSTNAME: ['RTR01'] }, 'DEVICE_HOSTNAME must be text, got array'],
			[{ ALERT_STATE: true }, 'ALERT_STATE must be text, got boolean'],
			[{ TITLE: { toString: 'x' } }, 'TITLE must be text, got object'],
			[{ ALERT_MESSAGE: ['a', 'b'] }, 'ALERT_MESSAGE must be text, got array'],
			[{ ALERT_SEVERITY: () => 'Critical' }, 'ALERT_SEVERITY must be text, got function'],
			[{ ALERT_UNIXTIME: { seconds: 1600532824 } }, 'ALERT_UNIXTIME must be a number or text, got object'],
			[{ ALERT_ID: [9827] }, 'ALERT_ID must be text or a number, got array'],
			[{ DEVICE_ID: {} }, 'DEVICE_ID must be text or a number, got object'],
		];
		for (const [change, message] of cases) {
			expect(failure({ ...ALERT, ...change }).message).toBe(`${PREFIX}${message}`);
		}
		// Numbers stand for text (a hand-made body may send ALERT_STATUS 1 or an uptime in seconds).
		expect(normalize({ ...ALERT, ALERT_STATUS: 1, DEVICE_UPTIME: 4242 })).toMatchObject({ status: 'ok', device: { uptime: '4242' } });
	});
});
