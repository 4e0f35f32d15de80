import { z } from 'zod/v4';

/** One plain config object for the GLPI client: n8n credentials and the runtime both build it. */
export const glpiConfigSchema = z
	.object({
		/** Base of the legacy API, e.g. `https://glpi.example.org/apirest.php`. */
		url: z.url(),
		appToken: z.string().optional(),
		/** Preferred: a user's API token (Administration → Users → Remote access keys). */
		userToken: z.string().optional(),
		login: z.string().optional(),
		password: z.string().optional(),
		timeoutMs: z.number().int().min(100).max(300_000).default(15_000),
		retries: z.number().int().min(0).max(5).default(2),
		/** Rows per search request; GLPI's own default range is 0-49. */
		pageSize: z.number().int().min(1).max(1000).default(50),
		/** GLPI stores dates without a zone, in its server's time zone: "opened in the last N minutes" needs it. */
		timeZone: z.string().default('Europe/Paris'),
	})
	.refine((config) => Boolean(config.userToken) || Boolean(config.login && config.password), {
		message: 'give a user token, or a login and password',
	});

export type GlpiConfig = z.output<typeof glpiConfigSchema>;
export type GlpiConfigInput = z.input<typeof glpiConfigSchema>;
