/**
 * Active Directory's time formats. Points in time (pwdLastSet, lockoutTime, lastLogonTimestamp) are
 * FILETIMEs: 100-ns intervals since 1601-01-01 UTC, as decimal text. Durations in the domain policy
 * (lockoutDuration, minPwdAge…) are *negative* 100-ns intervals; the most negative int64 means
 * "never / forever".
 */
const EPOCH_DIFF_100NS = 116_444_736_000_000_000n; // 1601-01-01 → 1970-01-01
const TICKS_PER_MS = 10_000n;
const INT64_MIN = -9_223_372_036_854_775_808n;
const INT64_MAX = 9_223_372_036_854_775_807n;

function toBigInt(value: string | undefined | null): bigint | null {
	if (value === undefined || value === null) return null;
	const text = value.trim();
	if (!/^-?\d+$/.test(text)) return null;
	return BigInt(text);
}

/** A FILETIME as milliseconds since 1970, or null for 0, "never" (int64 max) or garbage. */
export function fileTimeToMs(value: string | undefined | null): number | null {
	const ticks = toBigInt(value);
	if (ticks === null || ticks <= 0n || ticks >= INT64_MAX) return null;
	return Number((ticks - EPOCH_DIFF_100NS) / TICKS_PER_MS);
}

/** A FILETIME as an ISO string, or null (0 / never / absent). */
export function fileTimeToIso(value: string | undefined | null): string | null {
	const ms = fileTimeToMs(value);
	return ms === null ? null : new Date(ms).toISOString();
}

/** Milliseconds since 1970 as a FILETIME string (for tests and comparisons). */
export function msToFileTime(ms: number): string {
	return (BigInt(Math.round(ms)) * TICKS_PER_MS + EPOCH_DIFF_100NS).toString();
}

/**
 * A policy duration in milliseconds: `Infinity` for "forever" (int64 min, as in maxPwdAge = never
 * expires), 0 for 0. AD stores them negative; PSOs too. Positive values are accepted as is.
 */
export function adDurationToMs(value: string | undefined | null): number | null {
	const ticks = toBigInt(value);
	if (ticks === null) return null;
	if (ticks === INT64_MIN) return Number.POSITIVE_INFINITY;
	const abs = ticks < 0n ? -ticks : ticks;
	return Number(abs / TICKS_PER_MS);
}

/**
 * Whether an account is locked out now. `lockoutTime` > 0 means a lockout happened; it still holds
 * while the lockout duration has not passed. A lockout duration of 0 (or "forever") means the account
 * stays locked until an administrator unlocks it. Unknown duration: locked (the safe answer).
 */
export function isLockedOut(lockoutTime: string | undefined | null, lockoutDurationMs: number | null, nowMs = Date.now()): boolean {
	const lockedAt = fileTimeToMs(lockoutTime);
	if (lockedAt === null) return false;
	if (lockoutDurationMs === null || lockoutDurationMs === 0 || !Number.isFinite(lockoutDurationMs)) return true;
	return lockedAt + lockoutDurationMs > nowMs;
}

/** "30 minutes", "1 day", "2 days 3 hours": for messages. */
export function describeDuration(ms: number): string {
	if (!Number.isFinite(ms)) return 'forever';
	const units: Array<[number, string]> = [
		[86_400_000, 'day'],
		[3_600_000, 'hour'],
		[60_000, 'minute'],
		[1000, 'second'],
	];
	const parts: string[] = [];
	let rest = Math.round(ms);
	for (const [size, name] of units) {
		const count = Math.floor(rest / size);
		if (count > 0) {
			parts.push(`${count} ${name}${count > 1 ? 's' : ''}`);
			rest -= count * size;
		}
		if (parts.length === 2) break;
	}
	return parts.length > 0 ? parts.join(' ') : '0 seconds';
}
