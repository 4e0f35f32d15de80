import type { AdClient } from '../ad/client';
import type { GlpiClient } from '../glpi/client';
import type { MailClient } from '../mail/client';
import type { MySecretClient } from '../mysecret/client';
import type { ObserviumClient } from '../observium/client';
import type { PhibeeClient } from '../phibee/client';
import type { Coordination } from '../redis/coordination';

/**
 * The service clients an operation handler may receive, keyed by the operation's `service`.
 * Nodes build them from n8n credentials, the runtime from its config; handlers never know which.
 */
export interface ServiceClients {
	redis: Coordination;
	glpi: GlpiClient;
	observium: ObserviumClient;
	phibee: PhibeeClient;
	mysecret: MySecretClient;
	mail: MailClient;
	ad: AdClient;
	/**
	 * Platform state on Redis: incidents, circuit breakers, ticket claims. The same Coordination
	 * class as `redis`, but opened with the platform's connection (the WIDIP Safeguard credential,
	 * the runtime's own Redis), never with the agents' cache-only user.
	 */
	incident: Coordination;
	breaker: Coordination;
	claim: Coordination;
}
