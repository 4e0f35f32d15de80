/**
 * Flap detection as Nagios and Naemon do it (base/flapping.c): the last 21 states of a check, 20
 * transitions between them; a change at transition x (1 = oldest, 20 = newest) weighs
 * 0.75 + (x − 1) · 0.5 / 19, so recent changes count more; the percent state change is
 * Σ weights · 100 / 20. Flapping starts when it reaches the high threshold and stops when it falls to
 * the low one; in between the previous verdict stands (hysteresis).
 *
 * The intake's Lua script (scripts.ts) runs the same arithmetic inside Redis; this module is the
 * reference the tests hold it to, and what people read.
 */

export const FLAP_HISTORY_LENGTH = 21;
export const LOW_CURVE = 0.75;
export const HIGH_CURVE = 1.25;
/** nagios.cfg defaults (low_service_flap_threshold / high_service_flap_threshold). */
export const DEFAULT_FLAP_LOW = 5;
export const DEFAULT_FLAP_HIGH = 20;

/** Weight of a change at transition `x` (1 = oldest … 20 = newest). */
export function transitionWeight(x: number): number {
	return LOW_CURVE + ((x - 1) * (HIGH_CURVE - LOW_CURVE)) / (FLAP_HISTORY_LENGTH - 2);
}

/**
 * Percent state change of a history, oldest first. A history shorter than 21 is padded at the old
 * end with its first state, as a check that was steady before we saw it.
 */
export function percentStateChange(history: readonly boolean[]): number {
	const recent = history.slice(-FLAP_HISTORY_LENGTH);
	const padded = [...Array<boolean>(FLAP_HISTORY_LENGTH - recent.length).fill(recent[0] ?? false), ...recent];
	let weighted = 0;
	for (let x = 1; x < FLAP_HISTORY_LENGTH; x++) {
		if (padded[x] !== padded[x - 1]) weighted += transitionWeight(x);
	}
	return (weighted * 100) / (FLAP_HISTORY_LENGTH - 1);
}

/** Hysteresis: at or above high starts flapping, at or below low stops it, in between keeps it. */
export function nextFlapping(wasFlapping: boolean, percent: number, low = DEFAULT_FLAP_LOW, high = DEFAULT_FLAP_HIGH): boolean {
	if (percent >= high) return true;
	if (percent <= low) return false;
	return wasFlapping;
}
