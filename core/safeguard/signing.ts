import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The Safeguard key: a secret the runtime (WIDIP_SAFEGUARD_SECRET) and the nodes' WIDIP Safeguard
 * credential share. Whoever can only write Redis does not have it, so what it signs (the policy)
 * cannot be forged or lowered from Redis.
 */
export const MIN_SAFEGUARD_SECRET_LENGTH = 32;

/** HMAC-SHA256 of `text` under `key`, separated by purpose so one MAC can never stand for another. */
export function mac(key: string | Buffer, purpose: string, text: string): string {
	return createHmac('sha256', key).update(`${purpose}\n${text}`).digest('hex');
}

/** Constant-time comparison of two hex MACs. */
export function sameMac(a: string, b: string): boolean {
	const left = Buffer.from(a, 'hex');
	const right = Buffer.from(b, 'hex');
	return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
