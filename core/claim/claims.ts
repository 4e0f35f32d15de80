import { randomBytes } from 'node:crypto';

import type Redis from 'ioredis';

import { WidipError } from '../errors';
import type { RedisKeys } from '../redis/keys';
import { claimKeys } from './keys';
import { CLAIM, COMPLETE, RELEASE, RENEW } from './scripts';

export const CLAIM_TTL = { default: 300, min: 5, max: 3600 } as const;
export const DONE_KEEP = { default: 7 * 86_400, min: 1, max: 365 * 86_400 } as const;
/** Who holds a claim, for technicians reading "held by …": no spaces (it is stored space-separated). */
export const OWNER = /^[A-Za-z0-9_.:@/-]{1,100}$/;
export const CLAIM_TOKEN = /^[0-9a-f]{32}$/;

export type ClaimResult =
	| { claimed: true; token: string; expiresAt: number }
	| { claimed: false; reason: 'held'; heldUntil: number; owner?: string }
	| { claimed: false; reason: 'done'; doneAt: number; owner?: string };

export type CompleteResult =
	| { completed: true; how: 'completed' | 'late' | 'already'; doneAt: number }
	| { completed: false; reason: 'held'; heldUntil: number; owner?: string }
	| { completed: false; reason: 'done'; doneAt: number; owner?: string };

type ClaimCommands = Redis & {
	widipClaimTake(...args: (string | number)[]): Promise<[number, string, string, number]>;
	widipClaimRelease(...args: (string | number)[]): Promise<number>;
	widipClaimRenew(...args: (string | number)[]): Promise<number>;
	widipClaimComplete(...args: (string | number)[]): Promise<[number, string, string, number]>;
};

function defineClaimCommands(redis: Redis): ClaimCommands {
	const commands = redis as ClaimCommands;
	if (typeof commands.widipClaimTake !== 'function') {
		redis.defineCommand('widipClaimTake', { numberOfKeys: 2, lua: CLAIM });
		redis.defineCommand('widipClaimRelease', { numberOfKeys: 1, lua: RELEASE });
		redis.defineCommand('widipClaimRenew', { numberOfKeys: 1, lua: RENEW });
		redis.defineCommand('widipClaimComplete', { numberOfKeys: 2, lua: COMPLETE });
	}
	return commands;
}

function bad(message: string): WidipError {
	return new WidipError('bad_request', message, { service: 'claim' });
}

function seconds(value: number | undefined, range: { default: number; min: number; max: number }, field: string): number {
	const s = value ?? range.default;
	if (typeof s !== 'number' || !Number.isFinite(s) || s < range.min || s > range.max) {
		throw bad(`${field} must be between ${range.min} and ${range.max} seconds`);
	}
	return Math.round(s * 1000);
}

function token(value: string): string {
	if (typeof value !== 'string' || !CLAIM_TOKEN.test(value)) throw bad('token: expected the 32-character token returned by Claim Ticket');
	return value;
}

function owner(value: string | undefined): string {
	if (value === undefined || value === '') return '';
	if (!OWNER.test(value)) throw bad('owner: use 1–100 letters, digits or _ . : @ / -');
	return value;
}

const named = (name: string) => (name ? { owner: name } : {});

/**
 * Ticket claims for Assist: a worker claims a GLPI ticket for a bounded time, handles it, then
 * completes it, which leaves a done marker so the ticket is never handled again, even once the
 * claim is gone. A crashed worker's claim expires after its TTL and another worker takes the
 * ticket then (not before). Every change is one Lua script (scripts.ts); tokens are 128-bit random
 * and never shown to another worker.
 */
export class TicketClaims {
	readonly redis: ClaimCommands;

	constructor(
		redis: Redis,
		readonly keys: RedisKeys,
	) {
		this.redis = defineClaimCommands(redis);
	}

	async claim(ticketId: number, options: { ttlSeconds?: number; owner?: string } = {}): Promise<ClaimResult> {
		const keys = claimKeys(this.keys, ticketId);
		const ttlMs = seconds(options.ttlSeconds, CLAIM_TTL, 'ttlSeconds');
		const fresh = randomBytes(16).toString('hex');
		const [claimed, reason, by, at] = await this.redis.widipClaimTake(keys.claim, keys.done, fresh, ttlMs, owner(options.owner));
		if (Number(claimed) === 1) return { claimed: true, token: fresh, expiresAt: Number(at) };
		if (reason === 'done') return { claimed: false, reason: 'done', doneAt: Number(at), ...named(by) };
		return { claimed: false, reason: 'held', heldUntil: Number(at), ...named(by) };
	}

	/** Gives the ticket back (not handled): true when `token` held it; a wrong or expired token changes nothing. */
	async release(ticketId: number, claimToken: string): Promise<boolean> {
		const keys = claimKeys(this.keys, ticketId);
		return Number(await this.redis.widipClaimRelease(keys.claim, token(claimToken))) === 1;
	}

	/** Extends a claim `token` still holds to `ttlSeconds` from now: the new expiry (epoch ms), or null when lost. */
	async renew(ticketId: number, claimToken: string, ttlSeconds?: number): Promise<number | null> {
		const keys = claimKeys(this.keys, ticketId);
		const expiresAt = Number(await this.redis.widipClaimRenew(keys.claim, token(claimToken), seconds(ttlSeconds, CLAIM_TTL, 'ttlSeconds')));
		return expiresAt > 0 ? expiresAt : null;
	}

	/**
	 * Marks the ticket handled (kept `keepSeconds`, 7 days by default) and ends the claim. Accepted
	 * from the claim's token, and also after that claim expired if nobody claimed the ticket since
	 * (`late`: the work was done, so record it); refused, changing nothing, while another worker
	 * holds it or once another claim completed it.
	 */
	async complete(ticketId: number, claimToken: string, options: { keepSeconds?: number; owner?: string } = {}): Promise<CompleteResult> {
		const keys = claimKeys(this.keys, ticketId);
		const keepMs = seconds(options.keepSeconds, DONE_KEEP, 'keepSeconds');
		const [ok, how, by, at] = await this.redis.widipClaimComplete(keys.claim, keys.done, token(claimToken), keepMs, owner(options.owner));
		if (Number(ok) === 1) return { completed: true, how: how as 'completed' | 'late' | 'already', doneAt: Number(at) };
		if (how === 'done') return { completed: false, reason: 'done', doneAt: Number(at), ...named(by) };
		return { completed: false, reason: 'held', heldUntil: Number(at), ...named(by) };
	}
}
