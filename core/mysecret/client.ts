import { isWidipError, WidipError } from '../errors';
import { HttpService } from '../http/client';
import { silentLogger, type Logger } from '../logger';
import { parseMySecretConfig, type MySecretConfig, type MySecretConfigInput } from './config';
import {
	createdSecretBody,
	MYSECRET_API_KEY_HEADER,
	MYSECRET_ROUTES,
	mySecretErrorBody,
	type CreateSecretRequest,
} from './contract';

export interface SecretExpiry {
	expireAfterDays: number;
	expireAfterViews: number;
}

/** What the caller may pass on: the link, never the secret. */
export interface CreatedSecret {
	url: string;
	expiresAt: string;
	viewsLeft: number;
}

const CREATE = 'mysecret.create_secret';

function mySecretErrorDetail(_status: number, body: unknown): { detail?: string } | undefined {
	const parsed = mySecretErrorBody.safeParse(body);
	return parsed.success ? { detail: parsed.data.error.message } : undefined;
}

/**
 * The one-time-secret service: the only way a password reaches a person. The secret goes into
 * one request body and nowhere else — not into logs, errors or the result.
 */
export class MySecretClient {
	readonly config: MySecretConfig;
	private readonly http: HttpService;

	constructor(config: MySecretConfigInput, logger: Logger = silentLogger) {
		this.config = parseMySecretConfig(config);
		this.http = new HttpService(
			'MySecret',
			'mysecret',
			{
				baseUrl: this.config.baseUrl,
				timeoutMs: this.config.timeoutMs,
				retries: this.config.retries,
				backoffMs: this.config.backoffMs,
			},
			logger,
			mySecretErrorDetail,
		);
	}

	/** Sent once: a lost answer may mean the secret exists, and a resend would make a second live copy. */
	async createSecret(secret: string, expiry: SecretExpiry): Promise<CreatedSecret> {
		const body: CreateSecretRequest = {
			secret,
			expire_after_days: expiry.expireAfterDays,
			expire_after_views: expiry.expireAfterViews,
		};
		let answer: unknown;
		try {
			const response = await this.http.request({
				operation: CREATE,
				method: MYSECRET_ROUTES.createSecret.method,
				path: MYSECRET_ROUTES.createSecret.path,
				headers: { [MYSECRET_API_KEY_HEADER]: this.config.apiKey },
				body,
				retry: false,
			});
			answer = response.body;
		} catch (error) {
			throw createFailure(error, secret);
		}
		const parsed = createdSecretBody.safeParse(answer);
		if (!parsed.success) {
			const where = parsed.error.issues[0]?.path.join('.') || '(body)';
			throw new WidipError(
				'unavailable',
				`MySecret (${CREATE}): unexpected answer (field ${where} does not match our contract)`,
				{
					service: 'mysecret',
					operation: CREATE,
				},
			);
		}
		return {
			url: parsed.data.url,
			expiresAt: parsed.data.expires_at,
			viewsLeft: parsed.data.views_left,
		};
	}

	/** Nothing to release (one fetch per call); kept so every service client closes the same way. */
	async close(): Promise<void> {}
}

/**
 * The error of a failed create, made safe and actionable: the secret is cut out of the message
 * (a server could echo it back), and a lost answer says why nothing was resent.
 */
function createFailure(error: unknown, secret: string): WidipError {
	const kind = isWidipError(error) ? error.kind : 'unavailable';
	let message = isWidipError(error)
		? error.message
		: `MySecret (${CREATE}): ${String((error as Error)?.message ?? error)}`;
	message = message.split(secret).join('[redacted]');
	if (kind === 'unavailable' || kind === 'timeout') {
		message +=
			'; not sent again because the secret may already exist — create a new link rather than reuse this one';
	}
	return new WidipError(kind, message, {
		service: 'mysecret',
		operation: CREATE,
		retryAfterSeconds: isWidipError(error) ? error.retryAfterSeconds : undefined,
	});
}
