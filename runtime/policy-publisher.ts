import { catalogue } from '../core/catalogue';
import type { Logger } from '../core/logger';
import type { Safeguard } from '../core/safeguard/guard';
import { loweredLevels } from '../core/safeguard/policy';
import { policyOf, type RuntimeConfig } from './config';

/** How often the signed policy is written again, so a deleted or overwritten one comes back. */
const REPUBLISH_MS = 30_000;

/**
 * Publishes this runtime's Safeguard policy, signed with the Safeguard key, and keeps it there.
 * A level lowered below the catalogue's is said out loud: a warning in the log and an audit
 * record at every start. Without a key (development only) nothing is published and every node
 * applies the catalogue's levels.
 */
export class PolicyPublisher {
	private timer: NodeJS.Timeout | undefined;

	constructor(
		private readonly config: RuntimeConfig,
		private readonly safeguard: Safeguard,
		private readonly logger: Logger,
	) {}

	async start(): Promise<void> {
		const lowered = loweredLevels(this.config.levels, catalogue).filter((entry) => this.config.allowLower.includes(entry.operationId));
		for (const { operationId, from, to } of lowered) {
			this.logger.warn('Safeguard level lowered below the catalogue', { operationId, from: `L${from}`, to: `L${to}` });
			await this.safeguard.audit.append({ event: 'policy', operationId, outcome: 'lowered', actor: 'runtime', detail: { from, to } });
		}
		if (!this.config.safeguardSecret) {
			this.logger.warn('WIDIP_SAFEGUARD_SECRET is not set: no signed policy is published, nodes apply the catalogue levels');
			return;
		}
		await this.publish();
		this.timer = setInterval(() => {
			this.publish().catch((error: unknown) => this.logger.warn('Cannot republish the Safeguard policy', { error: (error as Error).message }));
		}, REPUBLISH_MS);
		this.timer.unref();
	}

	async publish(): Promise<void> {
		await this.safeguard.policy.publish(policyOf(this.config));
	}

	stop(): void {
		clearInterval(this.timer);
	}
}
