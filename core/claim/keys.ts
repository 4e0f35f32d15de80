import { WidipError } from '../errors';
import type { RedisKeyDoc, RedisKeys } from '../redis/keys';

export interface ClaimKeys {
	claim: string;
	done: string;
}

/** The GLPI ticket id is a positive integer, so it can never reach outside `claim:`. */
export function claimKeys(keys: RedisKeys, ticketId: number): ClaimKeys {
	if (!Number.isSafeInteger(ticketId) || ticketId < 1) {
		throw new WidipError('bad_request', `Invalid ticket id ${String(ticketId).slice(0, 30)}: expected a positive integer`, { service: 'claim' });
	}
	return { claim: `${keys.prefix}claim:ticket:${ticketId}`, done: `${keys.prefix}claim:done:${ticketId}` };
}

/** README's key table rows for ticket claims. */
export const CLAIM_KEY_TABLE: readonly RedisKeyDoc[] = [
	{
		key: '`<prefix>claim:ticket:<ticket id>`',
		type: 'string',
		ttl: 'the claim\'s TTL (300 s default, 5–3600 s), extended by Renew',
		writtenBy: 'Coordination Claim Ticket / Renew Ticket',
		meaning:
			'`<token> <claimed at ms> <owner>` of the worker handling this GLPI ticket; only that token can release, renew or complete it; a crashed worker\'s claim expires and the ticket can be claimed again',
	},
	{
		key: '`<prefix>claim:done:<ticket id>`',
		type: 'string',
		ttl: 'keepSeconds of Complete Ticket (7 days default)',
		writtenBy: 'Coordination Complete Ticket',
		meaning: '`<done at ms> <token> <owner>`: the ticket was handled; Claim Ticket answers `done` and nobody handles it again',
	},
];
