import { randomInt } from 'node:crypto';

// Ambiguous characters (0/O, 1/l/I) are left out: the person reads the password from a link.
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!#$%*+-=?@_';
const ALL = LOWER + UPPER + DIGITS + SYMBOLS;

/**
 * A crypto-random password that meets AD complexity (at least three of four character classes —
 * we take all four) at any length from 12. Shuffled with a crypto-random Fisher–Yates.
 */
export function generatePassword(length = 16): string {
	if (!Number.isInteger(length) || length < 12 || length > 128) throw new Error('password length must be 12–128');
	const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]);
	while (chars.length < length) chars.push(ALL[randomInt(ALL.length)]);
	for (let i = chars.length - 1; i > 0; i--) {
		const j = randomInt(i + 1);
		[chars[i], chars[j]] = [chars[j], chars[i]];
	}
	return chars.join('');
}

export function meetsComplexity(password: string): boolean {
	return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length >= 3;
}
