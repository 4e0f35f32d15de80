import type Redis from 'ioredis';
import { z } from 'zod/v4';

import type { SafeguardLevel } from '../catalogue/operation';
import type { OperationRegistry } from '../catalogue/registry';
import { WidipError } from '../errors';
import { DEFAULT_POLICY, type SafeguardPolicy } from './decision';

const policySchema = z.object({
	l1MinConfidence: z.number().min(0).max(100),
	levels: z.record(z.string(), z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)])),
});

/**
 * Parses per-operation level overrides (`{"glpi.add_followup": 2}`), checking every id against the
 * catalogue: an override of an operation that does not exist is a typo that would silently change
 * nothing, so it is refused.
 */
export function parseLevelOverrides(
	value: unknown,
	catalogue: Pick<OperationRegistry, 'has'>,
): { levels: Record<string, SafeguardLevel>; problems: string[] } {
	const problems: string[] = [];
	const parsed = policySchema.shape.levels.safeParse(value);
	if (!parsed.success) {
		return { levels: {}, problems: ['must be a JSON object of operation id → level 0–4, e.g. {"glpi.add_followup": 2}'] };
	}
	for (const id of Object.keys(parsed.data)) {
		if (!catalogue.has(id)) problems.push(`unknown operation "${id}"`);
	}
	return { levels: parsed.data as Record<string, SafeguardLevel>, problems };
}

/**
 * The policy every Safeguard in the system applies, kept in Redis so that n8n nodes and the runtime
 * agree: the runtime publishes its configured policy when it starts; nodes read it per call.
 */
export class PolicyStore {
	constructor(
		private readonly redis: Redis,
		private readonly prefix: string,
	) {}

	get key(): string {
		return `${this.prefix}safeguard:policy`;
	}

	async publish(policy: SafeguardPolicy): Promise<void> {
		await this.redis.set(this.key, JSON.stringify(policySchema.parse(policy)));
	}

	/** The published policy, or the default one when none is published. A corrupt one fails closed. */
	async read(): Promise<SafeguardPolicy> {
		const text = await this.redis.get(this.key);
		if (text === null) return DEFAULT_POLICY;
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			value = undefined;
		}
		const parsed = policySchema.safeParse(value);
		if (!parsed.success) {
			throw new WidipError('unavailable', `the Safeguard policy in Redis (${this.key}) is not valid; restart the runtime to publish it again`, {
				service: 'safeguard',
			});
		}
		return parsed.data as SafeguardPolicy;
	}
}
