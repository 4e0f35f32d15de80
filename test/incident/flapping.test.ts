import { resolveSettings } from '../../core/incident/settings';
import { nextFlapping, percentStateChange, transitionWeight } from '../../core/incident/flapping';
import { globMatches } from '../../core/incident/rules';
import type { Coordination } from '../../core/redis/coordination';
import { connectTest, dropPrefix } from '../support/redis';
import { observiumAlert, T0 } from './support';

/**
 * Nagios's flap detection (base/flapping.c), computed by hand. History starts steady OK (21 × ok);
 * samples arrive one by one. Weights of the 20 transitions, oldest first: 0.75 + (x − 1)·0.5/19, so
 * x=17…20 weigh 1.171053, 1.197368, 1.223684, 1.25. Percent = Σ weights of the changes · 100 / 20.
 * Thresholds: nagios.cfg's low 5, high 20.
 *
 *  #  sample  changes (positions)          Σ weights   percent   flapping
 *  1  fail    20                            1.25        6.25      no  (between 5 and 20: keeps "no")
 *  2  ok      19, 20                        2.473684   12.368421  no
 *  3  fail    18–20                         3.671053   18.355263  no  (just under 20)
 *  4  ok      17–20                         4.842105   24.210526  YES (≥ 20: starts)
 *  5  fail    16–20                         5.986842   29.934211  yes
 *  6  fail    15–19 (they age one step)     5.855263   29.276316  yes
 * 20  fail    1–5                           4.013158   20.065789  yes
 * 21  fail    1–4 (the first change left)   3.157895   15.789474  yes (between: keeps "yes")
 * 22  fail    1–3                           2.328947   11.644737  yes
 * 23  fail    1–2                           1.526316    7.631579  yes
 * 24  fail    1                             0.75        3.75      NO  (≤ 5: stops)
 * 25  fail    none                          0           0         no
 */
const SAMPLES = [true, false, true, false, true, ...Array<boolean>(20).fill(true)];
const TABLE: Record<number, [number, boolean]> = {
	1: [6.25, false],
	2: [12.368421, false],
	3: [18.355263, false],
	4: [24.210526, true],
	5: [29.934211, true],
	6: [29.276316, true],
	20: [20.065789, true],
	21: [15.789474, true],
	22: [11.644737, true],
	23: [7.631579, true],
	24: [3.75, false],
	25: [0, false],
};

function replay(): Array<{ percent: number; flapping: boolean }> {
	const history = Array<boolean>(21).fill(false);
	let flapping = false;
	return SAMPLES.map((sample) => {
		history.push(sample);
		history.shift();
		const percent = percentStateChange(history);
		flapping = nextFlapping(flapping, percent, 5, 20);
		return { percent, flapping };
	});
}

describe('flap detection: Nagios weighted state changes with hysteresis', () => {
	it('weights transitions from 0.75 (oldest) to 1.25 (newest)', () => {
		expect(transitionWeight(1)).toBeCloseTo(0.75, 10);
		expect(transitionWeight(20)).toBeCloseTo(1.25, 10);
		expect(transitionWeight(17)).toBeCloseTo(1.171053, 6);
	});

	it('enters flapping at the 4th change and leaves it only when the percent falls to the low threshold (hand-computed table)', () => {
		const steps = replay();
		for (const [step, [percent, flapping]] of Object.entries(TABLE)) {
			expect({ step: Number(step), percent: steps[Number(step) - 1].percent }).toEqual({ step: Number(step), percent: expect.closeTo(percent, 5) });
			expect({ step: Number(step), flapping: steps[Number(step) - 1].flapping }).toEqual({ step: Number(step), flapping });
		}
		// Between the thresholds the verdict never changes: steps 7–19 stay above 20 anyway, and no step
		// flips except 4 (enters) and 24 (leaves).
		const flips = steps.map((step, i) => (i > 0 && step.flapping !== steps[i - 1].flapping ? i + 1 : 0)).filter(Boolean);
		expect(flips).toEqual([4, 24]);
	});

	it('hysteresis: a percent between the thresholds keeps the previous verdict, in both directions', () => {
		expect(nextFlapping(false, 18.36)).toBe(false);
		expect(nextFlapping(true, 18.36)).toBe(true);
		expect(nextFlapping(true, 5)).toBe(false);
		expect(nextFlapping(false, 20)).toBe(true);
		// Icinga 2's object defaults (25 / 30): the 4th change (24.2 %) is not yet flapping there.
		expect(nextFlapping(false, 24.210526, 25, 30)).toBe(false);
	});

	describe('the intake script in Redis agrees with the table', () => {
		let coordination: Coordination;
		beforeAll(async () => {
			coordination = await connectTest('flap');
		});
		afterAll(async () => {
			await dropPrefix(coordination);
			await coordination.close();
		});

		it('same percent and verdict at every sample; decisions: flapping_started at 4, silence while flapping, flapping_stopped at 24', async () => {
			const settings = resolveSettings({ flapNotifyIntervalSeconds: 86_400, reminderIntervalSeconds: 86_400 });
			const reference = replay();
			const seen: Array<{ percent: number; flapping: boolean; decision: string; reason: string }> = [];
			let at = T0;
			for (const [index, failed] of SAMPLES.entries()) {
				at += 20_000;
				// Repeated failures arrive as Observium's reminders, each a sample of its own.
				const previous = index > 0 ? SAMPLES[index - 1] : false;
				const state = !failed ? 'RECOVER' : previous && index > 0 ? 'ALERT REMINDER' : 'ALERT';
				const result = await coordination.incidents.intake(observiumAlert({ state, at }), settings, at);
				seen.push({ percent: result.flapPercent, flapping: result.flapping, decision: result.decision, reason: result.reason });
			}
			for (const [index, step] of seen.entries()) {
				expect({ sample: index + 1, percent: step.percent, flapping: step.flapping }).toEqual({
					sample: index + 1,
					percent: expect.closeTo(reference[index].percent, 2),
					flapping: reference[index].flapping,
				});
			}
			expect(seen[3]).toMatchObject({ decision: 'update', reason: 'flapping_started' });
			expect(seen.slice(4, 23).every((step) => step.decision === 'suppressed' && step.reason === 'flapping')).toBe(true);
			expect(seen[23]).toMatchObject({ decision: 'update', reason: 'flapping_stopped' });
		});
	});
});

describe('hostname patterns', () => {
	it('match whole names with * and ?, case-insensitively', () => {
		expect(globMatches('*-RTR*', 'ehpad-bellevue-rtr01')).toBe(true);
		expect(globMatches('EHPAD-*-SW0?', 'EHPAD-Lilas-SW01')).toBe(true);
		expect(globMatches('EHPAD-*-SW0?', 'EHPAD-Lilas-SW012')).toBe(false);
		expect(globMatches('SW01', 'XSW01')).toBe(false);
		expect(globMatches('*', '')).toBe(true);
		expect(globMatches('a.b', 'aXb')).toBe(false);
	});

	// As a RegExp (`.*a.*a…`) this backtracks for hours; the matcher is O(name × pattern), so the
	// test ends well inside Jest's 5 s timeout.
	it('a hostile pattern of many stars against a long name answers', () => {
		expect(globMatches(`${'*a'.repeat(120)}*b`, 'a'.repeat(253))).toBe(false);
		expect(globMatches(`${'*a'.repeat(120)}*`, 'a'.repeat(253))).toBe(true);
	});
});
