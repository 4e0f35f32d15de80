import type Redis from 'ioredis';
import { z } from 'zod/v4';

import type { SafeguardLevel } from '../catalogue/operation';
import type { OperationRegistry } from '../catalogue/registry';
import { canonicalJson } from './canonical';
import { DEFAULT_POLICY, MAX_APPROVAL_TTL_MINUTES, MIN_APPROVAL_TTL_MINUTES, type SafeguardPolicy } from './decision';
import { mac, sameMac } from './signing';

const level = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

const policySchema = z.strictObject({
	l1MinConfidence: z.number().min(0).max(100),
	levels: z.record(z.string(), level),
	allowLower: z.array(z.string()).max(200),
	approvalTtlMinutes: z.number().min(MIN_APPROVAL_TTL_MINUTES).max(MAX_APPROVAL_TTL_MINUTES),
	maxPendingPerRequester: z.number().int().min(1).max(1000),
});

const envelopeSchema = z.strictObject({
	v: z.literal(1),
	policy: z.unknown(),
	issuedAt: z.string(),
	mac: z.string().regex(/^[0-9a-f]{64}$/),
});

const PURPOSE = 'widip-safeguard-policy-v1';

/**
 * Parses per-operation level overrides (`{"glpi.add_followup": 2}`), checking every id against the
 * catalogue: an override of an operation that does not exist is a typo that would silently change
 * nothing, so it is refused; so is any override of an L4 operation (never lowered, by any means).
 */
export function parseLevelOverrides(
	value: unknown,
	catalogue: Pick<OperationRegistry, 'has' | 'get'>,
): { levels: Record<string, SafeguardLevel>; problems: string[] } {
	const problems: string[] = [];
	const parsed = policySchema.shape.levels.safeParse(value);
	if (!parsed.success) {
		return { levels: {}, problems: ['must be a JSON object of operation id → level 0–4, e.g. {"glpi.add_followup": 2}'] };
	}
	for (const [id, given] of Object.entries(parsed.data)) {
		if (!catalogue.has(id)) problems.push(`unknown operation "${id}"`);
		else if (catalogue.get(id).level === 4 && given !== 4) problems.push(`${id} is L4 (forbidden to AI): it can never be lowered`);
	}
	return { levels: parsed.data as Record<string, SafeguardLevel>, problems };
}

/** Overrides that put an operation below its catalogue level: what an operator must allow by name. */
export function loweredLevels(
	levels: Record<string, SafeguardLevel>,
	catalogue: Pick<OperationRegistry, 'has' | 'get'>,
): { operationId: string; from: SafeguardLevel; to: SafeguardLevel }[] {
	return Object.entries(levels)
		.filter(([id, to]) => catalogue.has(id) && to < catalogue.get(id).level)
		.map(([id, to]) => ({ operationId: id, from: catalogue.get(id).level, to }));
}

export interface VerifiedPolicy {
	policy: SafeguardPolicy;
	/** `signed`: the runtime's policy, verified; `catalogue`: none usable, the catalogue's levels apply. */
	source: 'signed' | 'catalogue';
	/** Why a policy found in Redis was not used. */
	problem?: string;
}

/**
 * The policy every Safeguard applies, published by the runtime into Redis and signed with the
 * Safeguard key (HMAC). Nodes accept only a policy whose signature checks out under the key of
 * their WIDIP Safeguard credential: a policy written straight into Redis — lowered, unsigned,
 * corrupt — is ignored and the catalogue's levels apply, never "everything off".
 */
export class PolicyStore {
	constructor(
		private readonly redis: Redis,
		private readonly prefix: string,
		private readonly secret: string | undefined,
	) {}

	get key(): string {
		return `${this.prefix}safeguard:policy`;
	}

	/** Signs and publishes; only the holder of the Safeguard key can. */
	async publish(policy: SafeguardPolicy, issuedAt = new Date()): Promise<void> {
		if (!this.secret) throw new Error('publishing the Safeguard policy needs the Safeguard key (WIDIP_SAFEGUARD_SECRET)');
		const checked = policySchema.parse(policy);
		const body = { policy: checked, issuedAt: issuedAt.toISOString() };
		await this.redis.set(this.key, JSON.stringify({ v: 1, ...body, mac: mac(this.secret, PURPOSE, canonicalJson(body)) }));
	}

	async read(): Promise<SafeguardPolicy> {
		return (await this.readVerified()).policy;
	}

	async readVerified(): Promise<VerifiedPolicy> {
		const fallback = (problem?: string): VerifiedPolicy => ({ policy: DEFAULT_POLICY, source: 'catalogue', ...(problem ? { problem } : {}) });
		if (!this.secret) return fallback('no Safeguard key on this side: the catalogue levels apply');
		const text = await this.redis.get(this.key);
		if (text === null) return fallback();
		let value: unknown;
		try {
			value = JSON.parse(text);
		} catch {
			return fallback(`the policy in ${this.key} is not JSON`);
		}
		const envelope = envelopeSchema.safeParse(value);
		if (!envelope.success) return fallback(`the policy in ${this.key} is not a signed policy`);
		const { policy, issuedAt } = envelope.data;
		if (!sameMac(mac(this.secret, PURPOSE, canonicalJson({ policy, issuedAt })), envelope.data.mac)) {
			return fallback(`the policy in ${this.key} is not signed with this Safeguard key`);
		}
		const parsed = policySchema.safeParse(policy);
		if (!parsed.success) return fallback(`the signed policy in ${this.key} has an unknown shape`);
		return { policy: parsed.data as SafeguardPolicy, source: 'signed' };
	}
}
