import { z } from 'zod/v4';

import type { AccountFacts } from './protected';

/**
 * The answer of the `account_facts` script (ssh-scripts.ts): what protected.ts decides on, plus the
 * objectGUID the write script must find again. An answer of another shape is refused like any
 * other malformed answer, so a missing fact can never read as "not privileged".
 */
export const factsAnswer = z.object({
	sAMAccountName: z.string().min(1),
	distinguishedName: z.string().min(1),
	objectGuid: z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a GUID'),
	objectSid: z.string().nullable(),
	adminCount: z.number().int().nullable(),
	groupSids: z.array(z.string()),
});

export type FactsAnswer = z.output<typeof factsAnswer>;

export function toFacts(answer: FactsAnswer): AccountFacts {
	return {
		sam: answer.sAMAccountName,
		dn: answer.distinguishedName,
		objectSid: answer.objectSid,
		adminCount: answer.adminCount,
		groupSids: answer.groupSids,
	};
}
