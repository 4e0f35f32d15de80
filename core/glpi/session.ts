import { WidipError } from '../errors';
import { HttpService, type HttpRequest, type HttpResponse } from '../http/client';
import type { Logger } from '../logger';
import type { GlpiConfig } from './config';
import { SanitizedText } from './text';

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

/** GLPI's API answers only JSON: a 2xx page comes from something in front of it. */
const NOT_JSON_HINT = 'probably an SSO login page or a proxy in front of apirest.php; check the API URL';

/**
 * A GLPI API session: opened with initSession on first use, shared by concurrent calls, reopened
 * once when GLPI says the token expired, and closed with killSession. Once closing starts, no
 * request is sent but that killSession: calls under way are abandoned and none reopens a session.
 */
export class GlpiSession {
	readonly http: HttpService;
	private token?: Promise<string>;
	private readonly closing = new AbortController();
	private closed?: Promise<void>;
	private readonly text = new SanitizedText();

	constructor(
		private readonly config: GlpiConfig,
		logger?: Logger,
	) {
		this.http = new HttpService(
			'GLPI',
			'glpi',
			{ baseUrl: config.url, timeoutMs: config.timeoutMs, retries: config.retries, notJsonHint: NOT_JSON_HINT },
			logger,
			glpiErrorDetail,
		);
	}

	private baseHeaders(sanitized = false): Record<string, string> {
		// GLPI 10 HTML-encodes text unless told not to; technicians must read raw text.
		const headers: Record<string, string> = { 'X-GLPI-Sanitized-Content': String(sanitized) };
		if (this.config.appToken) headers['App-Token'] = this.config.appToken;
		return headers;
	}

	private closedError(operation: string): WidipError {
		return new WidipError('unavailable', `GLPI (${operation}): the GLPI client was closed before the call finished`, { service: 'glpi', operation });
	}

	/**
	 * initSession gets no abort signal on purpose: abandoned once sent, it could leave a session
	 * open on the server that close() never learns of. close() waits for it and kills it instead.
	 */
	private open(request: Call): Promise<string> {
		const { operation, deadline } = request;
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
				deadline,
			})
			.then((response) => {
				const token = response.body?.session_token;
				if (!token) throw new WidipError('auth', `GLPI (${operation}): initSession returned no session token`, { service: 'glpi', operation });
				return token;
			});
	}

	private sessionToken(request: Call): Promise<string> {
		if (this.closing.signal.aborted) return Promise.reject(this.closedError(request.operation));
		if (!this.token) {
			const opening = this.open(request);
			opening.catch(() => {
				if (this.token === opening) this.token = undefined;
			});
			this.token = opening;
		}
		return this.token;
	}

	/**
	 * One API call with the session; an expired session is renewed once and the call repeated.
	 * GET answers come back with GLPI's HTML escaping undone when the server ignored our header.
	 */
	async call<T>(request: Call): Promise<HttpResponse<T>> {
		const signal = request.signal ? AbortSignal.any([request.signal, this.closing.signal]) : this.closing.signal;
		try {
			return await this.send<T>({ ...request, signal });
		} catch (error) {
			// Whatever a closed client's call ran into, the reason is that it was closed.
			if (this.closing.signal.aborted) throw this.closedError(request.operation);
			throw error;
		}
	}

	private async send<T>(request: Call): Promise<HttpResponse<T>> {
		let token = await this.sessionToken(request);
		const send = (sanitized = false) =>
			this.http.request<T>({ ...request, headers: { ...this.baseHeaders(sanitized), ...request.headers, 'Session-Token': token } });
		let response: HttpResponse<T>;
		try {
			response = await send();
		} catch (error) {
			if (!isExpiredSession(error)) throw error;
			// GLPI refused the token before doing anything, so repeating even a write is safe.
			if ((await this.token?.catch(() => undefined)) === token) this.token = undefined;
			token = await this.sessionToken(request);
			response = await send();
		}
		if (request.method !== 'GET') return response;
		return { ...response, body: await this.text.read(response.body, () => send(true).then((again) => again.body)) };
	}

	/** Idempotent: later calls wait for the first one. */
	close(): Promise<void> {
		this.closed ??= this.shutdown();
		return this.closed;
	}

	private async shutdown(): Promise<void> {
		this.closing.abort();
		const token = await this.token?.catch(() => undefined);
		this.token = undefined;
		if (!token) return;
		await this.http
			.request({ operation: 'glpi.kill_session', method: 'GET', path: 'killSession', headers: { ...this.baseHeaders(), 'Session-Token': token }, retry: false })
			.catch(() => undefined);
	}
}
