import { z } from 'zod/v4';

import type { AdUserInfo, AdUserStatus } from './types';

/**
 * The shapes the scripts of ssh-scripts.ts print, and their mapping to the AdBackend types. An
 * answer that does not match is a server problem (wrong script version, a profile printing text),
 * never silently accepted.
 */

const isoOrNull = z
	.string()
	.nullable()
	.refine(
		(value) => value === null || !Number.isNaN(Date.parse(value)),
		'expected an ISO date or null',
	);

export const statusAnswer = z.object({
	sAMAccountName: z.string().min(1),
	displayName: z.string().nullable(),
	distinguishedName: z.string().min(1),
	enabled: z.boolean(),
	locked: z.boolean(),
});

export const infoAnswer = statusAnswer.extend({
	title: z.string().nullable(),
	department: z.string().nullable(),
	mail: z.string().nullable(),
	lastLogon: isoOrNull,
	memberOf: z.array(z.string()),
	passwordLastSet: isoOrNull,
	lockoutTime: isoOrNull,
});

export const okAnswer = z.object({ ok: z.literal(true) });
export const verifyAnswer = z.object({ ok: z.literal(true), domain: z.string() });
export const dnAnswer = z.object({ distinguishedName: z.string().min(1) });

export const errorAnswer = z.object({
	error: z.object({
		category: z.string(),
		type: z.string().optional().nullable(),
		message: z.string().optional().nullable(),
	}),
});

export type StatusAnswer = z.output<typeof statusAnswer>;
export type InfoAnswer = z.output<typeof infoAnswer>;

function iso(value: string | null): string | null {
	return value === null ? null : new Date(value).toISOString();
}

/** `CN=Soignants\, Bellevue,OU=Groupes,DC=widip,DC=test` → `Soignants, Bellevue` (RFC 4514 escapes undone). */
export function cnOf(dn: string): string {
	const match = /^\s*CN=((?:\\.|[^,\\])*)/i.exec(dn);
	if (!match) return dn;
	const raw = match[1];
	const bytes: number[] = [];
	for (let i = 0; i < raw.length; i++) {
		if (raw[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
			bytes.push(parseInt(raw.slice(i + 1, i + 3), 16));
			i += 2;
		} else if (raw[i] === '\\' && i + 1 < raw.length) {
			bytes.push(...Buffer.from(raw[i + 1], 'utf8'));
			i += 1;
		} else {
			bytes.push(...Buffer.from(raw[i], 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8').trim();
}

export function toStatus(answer: StatusAnswer): AdUserStatus {
	return {
		exists: true,
		sAMAccountName: answer.sAMAccountName,
		displayName: answer.displayName ?? '',
		distinguishedName: answer.distinguishedName,
		enabled: answer.enabled,
		locked: answer.locked,
	};
}

export function toInfo(answer: InfoAnswer): AdUserInfo {
	return {
		...toStatus(answer),
		title: answer.title ?? '',
		department: answer.department ?? '',
		mail: answer.mail ?? '',
		lastLogon: iso(answer.lastLogon),
		groups: answer.memberOf.map(cnOf),
		passwordLastSet: iso(answer.passwordLastSet),
		// A lockout that has already expired is not a lockout.
		lockoutTime: answer.locked ? iso(answer.lockoutTime) : null,
	};
}
