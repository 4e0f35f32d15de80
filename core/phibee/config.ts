import { z } from 'zod/v4';

import { describeIssues } from '../catalogue/registry';
import { WidipError } from '../errors';

/** One plain config object: the n8n credential and the runtime environment both produce it. */
export const phibeeConfigSchema = z.object({
	/** e.g. `https://api.phibee.example`; contract paths (`/api/v1/…`) are appended. */
	baseUrl: z.url({ protocol: /^https?$/ }),
	apiKey: z.string().min(1),
	/** Whole-call budget, retries included. */
	timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
	/** Extra attempts for reads (every Phibee call is one). */
	retries: z.coerce.number().int().min(0).max(5).default(2),
	backoffMs: z.coerce.number().int().min(0).max(2000).default(200),
});

export type PhibeeConfig = z.output<typeof phibeeConfigSchema>;
export type PhibeeConfigInput = z.input<typeof phibeeConfigSchema>;

/** Names the bad fields only: zod's messages never echo values, so the API key stays out. */
export function parsePhibeeConfig(input: PhibeeConfigInput): PhibeeConfig {
	const result = phibeeConfigSchema.safeParse(input);
	if (result.success) return result.data;
	throw new WidipError(
		'bad_request',
		`Phibee configuration is invalid: ${describeIssues(result.error).join('; ')}`,
		{
			service: 'phibee',
		},
	);
}
