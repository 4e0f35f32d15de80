import { z } from 'zod/v4';

/**
 * The one-time-secret service's API as we use it; the only file that knows paths, the auth
 * header and the wire format (snake_case). A different service means replacing this file and the
 * mapping in client.ts.
 *
 * - `POST /api/secrets` (API key) stores a secret → 201 with the link to send.
 * - `GET /s/{id}` (no key: the recipient opens it) reveals the secret and uses up one view;
 *   404 once expired or all views are used. Our code never calls it: only the recipient does.
 * - `GET /api/status` (API key) answers `{status: "ok"}`: the credential test, which must not
 *   create a secret.
 */

export const MYSECRET_API_KEY_HEADER = 'X-API-Key';

export const MYSECRET_ROUTES = {
	createSecret: { method: 'POST', path: '/api/secrets' },
	reveal: { method: 'GET', path: '/s/:id' },
	status: { method: 'GET', path: '/api/status' },
} as const;

export const MAX_SECRET_LENGTH = 10_000;
export const MAX_EXPIRE_DAYS = 90;
export const MAX_EXPIRE_VIEWS = 100;

export const createSecretRequest = z.strictObject({
	secret: z.string().min(1).max(MAX_SECRET_LENGTH),
	expire_after_days: z.number().int().min(1).max(MAX_EXPIRE_DAYS),
	expire_after_views: z.number().int().min(1).max(MAX_EXPIRE_VIEWS),
});

export const createdSecretBody = z.object({
	id: z.string().min(16),
	url: z.url({ protocol: /^https?$/ }),
	expires_at: z.iso.datetime({ offset: true }),
	views_left: z.number().int().min(0),
});

export const revealedSecretBody = z.object({
	secret: z.string(),
	views_left: z.number().int().min(0),
});

/** Every error answer, whatever the status. */
export const mySecretErrorBody = z.object({
	error: z.object({ code: z.string(), message: z.string() }),
});

export type CreateSecretRequest = z.infer<typeof createSecretRequest>;
export type CreatedSecretBody = z.infer<typeof createdSecretBody>;
export type RevealedSecretBody = z.infer<typeof revealedSecretBody>;
export type MySecretErrorBody = z.infer<typeof mySecretErrorBody>;
