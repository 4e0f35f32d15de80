import {
	formatDuration,
	formatServerDatetime,
	parseDurationText,
	parseServerDatetime,
	parseUnixSeconds,
} from '../../core/observium/time';

describe('Observium time dialects', () => {
	it('reads server datetimes in the server zone, across daylight saving', () => {
		expect(new Date(parseServerDatetime('2024-07-01 14:00:00', 'Europe/Paris')!).toISOString()).toBe('2024-07-01T12:00:00.000Z');
		expect(new Date(parseServerDatetime('2024-01-15 14:00:00', 'Europe/Paris')!).toISOString()).toBe('2024-01-15T13:00:00.000Z');
		expect(new Date(parseServerDatetime('2024-03-31 03:30:00', 'Europe/Paris')!).toISOString()).toBe('2024-03-31T01:30:00.000Z');
		expect(new Date(parseServerDatetime('2024-07-01 14:00:00', 'UTC')!).toISOString()).toBe('2024-07-01T14:00:00.000Z');
	});

	it('treats zero and empty dates as unknown', () => {
		expect(parseServerDatetime('0000-00-00 00:00:00', 'UTC')).toBeUndefined();
		expect(parseServerDatetime('', 'UTC')).toBeUndefined();
		expect(parseServerDatetime(null, 'UTC')).toBeUndefined();
		expect(parseUnixSeconds('0')).toBeUndefined();
		expect(parseUnixSeconds('1600532824')).toBe(1600532824000);
	});

	it('writes filter datetimes in the server zone (the inverse)', () => {
		const instant = Date.parse('2024-07-01T12:00:00Z');
		expect(formatServerDatetime(instant, 'Europe/Paris')).toBe('2024-07-01 14:00:00');
		expect(parseServerDatetime(formatServerDatetime(instant, 'America/New_York'), 'America/New_York')).toBe(instant);
	});

	it('formats and parses durations as Observium writes them', () => {
		expect(formatDuration(1_000_000)).toBe('11d 13h 46m');
		expect(formatDuration(86_400)).toBe('1d');
		expect(formatDuration(42)).toBe('42s');
		expect(parseDurationText('1d 2h 4m 29s (2020-09-19 19:22:35)')).toBe(93_869);
		expect(parseDurationText('(2020-09-19 19:22:35)')).toBeUndefined();
	});
});
