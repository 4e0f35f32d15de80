import { WidipError } from '../errors';
import { HttpService, type HttpRequest, type HttpResponse } from '../http/client';
import type { Logger } from '../logger';
import type { GlpiConfig } from './config';

const LOGIN_ERRORS = /^ERROR_(GLPI_LOGIN|LOGIN_|WRONG_APP_TOKEN|APP_TOKEN_PARAMETERS_MISSING|NOT_ALLOWED_IP|SESSION_TOKEN)/;

/**
 * GLPI answers errors as `["ERROR_CODE", "message; view documentation in your browser at …"]`.
 * The documentation pointer is noise in an error message; the code says what happened.
 */
export function glpiErrorDetail(_status: number, body: unknown) {
	if (!Array.isArray(body) || typeof body[0] !== 'string') return undefined;
	const code = body[0];
	const message = typeof body[1] === 'string' ? body[1].split('; view documentation')[0] : '';
	return { detail: message ? `${code}: ${message}` : code, kind: LOGIN_ERRORS.test(code) ? ('auth' as const) : undefined };
}

export function isExpiredSession(error: unknown): boolean {
	return error instanceof WidipError && error.message.includes('ERROR_SESSION_TOKEN_INVALID');
}

type Call = Omit<HttpRequest, 'headers'> & { headers?: Record<string, string> };

/**
 * A GLPI API session: opened with initSession on first use, shared by concurrent calls, reopened
 * once when GLPI says the token expired, and closed with killSession.
 */
export class GlpiSession {
	readonly http: HttpService;
	private token?: Promise<string>;

	constructor(
		private readonly config: GlpiConfig,
		logger?: Logger,
	) {
		this.http = new HttpService('GLPI', 'glpi', { baseUrl: config.url, timeoutMs: config.timeoutMs, retries: config.retries }, logger, glpiErrorDetail);
	}

	private baseHeaders(): Record<string, string> {
		// GLPI 10 HTML-encodes text unless told not to; technicians must read raw text.
		const headers: Record<string, string> = { 'X-GLPI-Sanitized-Content': 'false' };
		if (this.config.appToken) headers['App-Token'] = this.config.appToken;
		return headers;
	}

	private open(operation: string): Promise<string> {
		const authorization = this.config.userToken
			? `user_token ${this.config.userToken}`
			: `Basic ${Buffer.from(`${this.config.login}:${this.config.password}`).toString('base64')}`;
		return this.http
			.request<{ session_token?: string }>({
				operation,
				method: 'GET',
				path: 'initSession',
				headers: { ...this.baseHeaders(), Authorization: authorization },
				retry: true,
			})
			.then((response) => {
				const token = response.body?.session_token;
				if (!token) throw new WidipError('auth', `GLPI (${operation}): initSession returned no session token`, { service: 'glpi', operation });
				return token;
			});
	}

	private sessionToken(operation: string): Promise<string> {
		if (!this.token) {
			const opening = this.open(operation);
			opening.catch(() => {
				if (this.token === opening) this.token = undefined;
			});
			this.token = opening;
		}
		return this.token;
	}

	/** One API call with the session; an expired session is renewed once and the call repeated. */
	async call<T>(request: Call): Promise<HttpResponse<T>> {
		const token = await this.sessionToken(request.operation);
		const send = (sessionToken: string) =>
			this.http.request<T>({ ...request, headers: { ...this.baseHeaders(), ...request.headers, 'Session-Token': sessionToken } });
		try {
			return await send(token);
		} catch (error) {
			if (!isExpiredSession(error)) throw error;
			// GLPI refused the token before doing anything, so repeating even a write is safe.
			if ((await this.token?.catch(() => undefined)) === token) this.token = undefined;
			return await send(await this.sessionToken(request.operation));
		}
	}

	async close(): Promise<void> {
		const pending = this.token;
		this.token = undefined;
		const token = await pending?.catch(() => undefined);
		if (!token) return;
		await this.http
			.request({ operation: 'glpi.kill_session', method: 'GET', path: 'killSession', headers: { ...this.baseHeaders(), 'Session-Token': token }, retry: false })
			.catch(() => undefined);
	}
}
