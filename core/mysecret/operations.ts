import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { MAX_EXPIRE_DAYS, MAX_EXPIRE_VIEWS, MAX_SECRET_LENGTH } from './contract';

export const mySecretCreateSecret = defineOperation({
	id: 'mysecret.create_secret',
	service: 'mysecret',
	displayName: 'Create Secret Link',
	summary: 'Store a secret and get a one-time link to send instead of the secret itself.',
	description:
		'Store a secret (e.g. a new password) in MySecret and get a one-time link to send to the person instead of the secret itself. The link stops working after N days or N views, whichever comes first. Returns {url, expiresAt, viewsLeft}; the secret itself is never returned. Not retried if the answer is lost: create a new link then.',
	level: 1,
	input: z.strictObject({
		payload: z
			.string()
			.min(1)
			.max(MAX_SECRET_LENGTH)
			.describe(
				'The secret to share (password, key…). Only the link comes back; never paste the secret into a message',
			)
			.meta({ title: 'Secret', secret: true }),
		expireAfterDays: z
			.number()
			.int()
			.min(1)
			.max(MAX_EXPIRE_DAYS)
			.default(7)
			.describe('Days after which the link stops working, even if never opened')
			.meta({ title: 'Expire After (Days)' }),
		expireAfterViews: z
			.number()
			.int()
			.min(1)
			.max(MAX_EXPIRE_VIEWS)
			.default(5)
			.describe('Number of times the link can be opened before it stops working')
			.meta({ title: 'Expire After (Views)' }),
	}),
	output: z.object({ url: z.string(), expiresAt: z.string(), viewsLeft: z.number().int() }),
	handler: async ({ payload, expireAfterDays, expireAfterViews }, mysecret) =>
		await mysecret.createSecret(payload, { expireAfterDays, expireAfterViews }),
});

export const mySecretOperations = [mySecretCreateSecret];
