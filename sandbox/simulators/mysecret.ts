import { randomBytes } from 'node:crypto';

import type { FastifyReply } from 'fastify';

import {
	createSecretRequest,
	MYSECRET_API_KEY_HEADER,
	MYSECRET_ROUTES,
	type CreatedSecretBody,
	type MySecretErrorBody,
	type RevealedSecretBody,
} from '../../core/mysecret/contract';
import { SimulatorServer } from './base';

export const DEFAULT_MYSECRET_API_KEY = 'mysecret-sandbox-key';

const DAY_MS = 24 * 60 * 60 * 1000;

interface StoredSecret {
	secret: string;
	expiresAt: number;
	viewsLeft: number;
}

export interface MySecretSimulatorOptions {
	apiKey?: string;
}

function error(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
	const body: MySecretErrorBody = { error: { code, message } };
	return reply.code(status).send(body);
}

/**
 * A one-time-secret service: stores secrets, reveals each one through its link until its views
 * are used up or its days have passed. Its clock can be moved forward to test day expiry.
 */
export class MySecretSimulator extends SimulatorServer {
	readonly apiKey: string;
	private readonly store = new Map<string, StoredSecret>();
	private clockOffsetMs = 0;

	constructor(options: MySecretSimulatorOptions = {}) {
		super('mysecret', {
			errorBody: (status): MySecretErrorBody => ({
				error:
					status === 429
						? { code: 'rate_limited', message: 'too many requests' }
						: { code: 'internal_error', message: 'simulated failure' },
			}),
		});
		this.apiKey = options.apiKey ?? DEFAULT_MYSECRET_API_KEY;
		this.routes();
	}

	now(): number {
		return Date.now() + this.clockOffsetMs;
	}

	/** Moves the simulated clock forward, e.g. past a link's last day. */
	advanceClock(ms: number): void {
		this.clockOffsetMs += ms;
	}

	/** Secrets still revealable (expired or used-up ones are gone). */
	get liveSecretCount(): number {
		this.purge();
		return this.store.size;
	}

	/** Secrets ever created, to prove a lost answer was not followed by a second create. */
	createdCount = 0;

	private purge(): void {
		for (const [id, stored] of this.store) {
			if (stored.viewsLeft <= 0 || stored.expiresAt <= this.now()) this.store.delete(id);
		}
	}

	private routes(): void {
		const app = this.app;
		app.setNotFoundHandler((request, reply) =>
			error(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
		);
		app.setErrorHandler((failure: { statusCode?: number; message: string }, _request, reply) =>
			error(reply, failure.statusCode ?? 500, 'bad_request', failure.message),
		);
		const requireKey = async (
			request: { headers: Record<string, unknown> },
			reply: FastifyReply,
		) => {
			if (request.headers[MYSECRET_API_KEY_HEADER.toLowerCase()] !== this.apiKey) {
				return error(reply, 401, 'unauthorized', 'missing or invalid API key');
			}
		};

		app.get(MYSECRET_ROUTES.status.path, { onRequest: requireKey }, async () => ({ status: 'ok' }));

		app.post(
			MYSECRET_ROUTES.createSecret.path,
			{ onRequest: requireKey },
			async (request, reply) => {
				const parsed = createSecretRequest.safeParse(request.body);
				if (!parsed.success) {
					// Names the fields, never their values: the body holds the secret.
					const fields = [
						...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)')),
					];
					return error(reply, 400, 'bad_request', `invalid ${fields.join(', ')}`);
				}
				const id = randomBytes(18).toString('base64url');
				const stored: StoredSecret = {
					secret: parsed.data.secret,
					expiresAt: this.now() + parsed.data.expire_after_days * DAY_MS,
					viewsLeft: parsed.data.expire_after_views,
				};
				this.store.set(id, stored);
				this.createdCount++;
				const answer: CreatedSecretBody = {
					id,
					url: `${this.url}${MYSECRET_ROUTES.reveal.path.replace(':id', id)}`,
					expires_at: new Date(stored.expiresAt).toISOString(),
					views_left: stored.viewsLeft,
				};
				return reply.code(201).send(answer);
			},
		);

		app.get(MYSECRET_ROUTES.reveal.path, async (request, reply) => {
			const { id } = request.params as { id: string };
			this.purge();
			const stored = this.store.get(id);
			if (!stored)
				return error(
					reply,
					404,
					'not_found',
					'this secret does not exist, has expired or was already viewed',
				);
			stored.viewsLeft--;
			if (stored.viewsLeft <= 0) this.store.delete(id);
			const answer: RevealedSecretBody = { secret: stored.secret, views_left: stored.viewsLeft };
			return answer;
		});
	}
}

export function createMySecretSimulator(options: MySecretSimulatorOptions = {}): MySecretSimulator {
	return new MySecretSimulator(options);
}
