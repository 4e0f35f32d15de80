import { z } from 'zod/v4';

import { describeIssues } from '../catalogue/registry';
import { WidipError } from '../errors';

/** One plain config object: the n8n credential and the runtime environment both produce it. */
export const mySecretConfigSchema = z.object({
	/** e.g. `https://secret.widip.fr`; contract paths (`/api/secrets`) are appended. */
	baseUrl: z.url({ protocol: /^https?$/ }),
	apiKey: z.string().min(1),
	/** Whole-call budget, retries included. */
	timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
	/** Extra attempts for reads only: creating a secret is a write and is never sent twice. */
	retries: z.coerce.number().int().min(0).max(5).default(2),
	backoffMs: z.coerce.number().int().min(0).max(2000).default(200),
});

export type MySecretConfig = z.output<typeof mySecretConfigSchema>;
export type MySecretConfigInput = z.input<typeof mySecretConfigSchema>;

/** Names the bad fields only: zod's messages never echo values, so the API key stays out. */
export function parseMySecretConfig(input: MySecretConfigInput): MySecretConfig {
	const result = mySecretConfigSchema.safeParse(input);
	if (result.success) return result.data;
	throw new WidipError(
		'bad_request',
		`MySecret configuration is invalid: ${describeIssues(result.error).join('; ')}`,
		{
			service: 'mysecret',
		},
	);
}
