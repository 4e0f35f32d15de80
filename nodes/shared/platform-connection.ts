import type { IExecuteFunctions } from 'n8n-workflow';

import { Coordination } from '../../core/redis/coordination';
import { redisConfigFromCredentials } from './redis-connection';
import { SAFEGUARD_CREDENTIAL } from './safeguard-connection';

/**
 * The platform's Redis for incidents, circuit breakers and ticket claims: the WIDIP Safeguard
 * credential's connection (the platform's ACL user), never the agents' cache-only WIDIP Redis user,
 * which cannot reach those keys.
 */
export async function openPlatformClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(SAFEGUARD_CREDENTIAL);
	const coordination = await Coordination.connect(redisConfigFromCredentials(credentials));
	return {
		clients: { incident: coordination, breaker: coordination, claim: coordination },
		close: () => coordination.close(),
	};
}
