import { createHash, timingSafeEqual } from 'node:crypto';

import type { FastifyRequest } from 'fastify';

function digest(text: string): Buffer {
	return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Constant-time key lookup: compares SHA-256 digests (equal length) against every key, with no
 * early exit, so the time taken says nothing about which key, or how much of one, matched.
 */
export function matchKey<T extends { key: string }>(presented: string, keys: readonly T[]): T | undefined {
	const given = digest(presented);
	let found: T | undefined;
	for (const entry of keys) {
		if (timingSafeEqual(given, digest(entry.key)) && !found) found = entry;
	}
	return found;
}

/** The key of `Authorization: Bearer <key>`, or undefined. */
export function bearer(request: FastifyRequest): string | undefined {
	const header = request.headers.authorization;
	if (typeof header !== 'string') return undefined;
	const match = /^Bearer\s+(.+)$/i.exec(header.trim());
	return match ? match[1].trim() : undefined;
}
