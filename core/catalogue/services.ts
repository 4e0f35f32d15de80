import type { Coordination } from '../redis/coordination';

/**
 * The service clients an operation handler may receive, keyed by the operation's `service`.
 * Nodes build them from n8n credentials, the runtime from its config; handlers never know which.
 */
export interface ServiceClients {
	redis: Coordination;
}
