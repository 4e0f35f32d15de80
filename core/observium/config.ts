import { z } from 'zod/v4';

import { WidipError } from '../errors';
import { describeIssues } from '../catalogue/registry';
import { isValidTimeZone } from './time';

function isApiRoot(url: string): boolean {
	try {
		return /\/api\/v\d+\/?$/.test(new URL(url).pathname);
	} catch {
		return true; // not a URL at all: the url check already says so
	}
}

/** One plain config object: n8n credentials and the runtime environment both produce it. */
export const observiumConfigSchema = z.object({
	/** The API root, e.g. `https://observium.example.org/api/v0`; paths like `devices/` are appended. */
	baseUrl: z.url({ protocol: /^https?$/ }).refine(isApiRoot, 'must end with the API path, e.g. /api/v0'),
	username: z.string().min(1),
	password: z.string().min(1),
	/** Whole-call budget per request, retries included. */
	timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
	/** Extra attempts for reads (every Observium call we make is a read). */
	retries: z.coerce.number().int().min(0).max(5).default(2),
	/**
	 * Observium returns wall-clock datetimes ("2024-05-01 12:00:00") in its server's zone, with no
	 * offset; without this every "since" and "last polled" would be shifted by the zone's offset.
	 */
	timeZone: z.string().default('UTC').refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris'),
});

export type ObserviumConfig = z.output<typeof observiumConfigSchema>;
export type ObserviumConfigInput = z.input<typeof observiumConfigSchema>;

/** Parses a config; the error names the bad fields and never echoes a value (the password). */
export function parseObserviumConfig(input: ObserviumConfigInput): ObserviumConfig {
	const result = observiumConfigSchema.safeParse(input);
	if (result.success) return result.data;
	throw new WidipError('bad_request', `Invalid Observium configuration: ${describeIssues(result.error).join('; ')}`, {
		service: 'observium',
	});
}
