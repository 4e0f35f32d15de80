import { WidipError, type WidipErrorKind } from '../errors';
import { silentLogger, type Logger } from '../logger';

export interface HttpServiceConfig {
	/** e.g. `https://glpi.example.org/apirest.php`; request paths are appended to it. */
	baseUrl: string;
	/** Whole-call budget, retries included: a call fails within this, never later. */
	timeoutMs: number;
	/** Extra attempts for calls that are safe to repeat (reads, or writes with an idempotency key). */
	retries: number;
	/** First backoff step; doubles each retry, with full jitter, capped at 2 s. */
	backoffMs?: number;
	/**
	 * For services that always answer JSON: what a 2xx that is not JSON probably means (an SSO
	 * login page, a proxy…). When set, such an answer is an error naming it, instead of a text body
	 * that callers would read as "nothing found". Unset: the body is returned as text, as before.
	 */
	notJsonHint?: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined | null;

export interface HttpRequest {
	/** Catalogue id of the operation, named in every error (`glpi.create_ticket`). */
	operation: string;
	method: HttpMethod;
	path: string;
	query?: Record<string, QueryValue> | Array<[string, QueryValue]>;
	headers?: Record<string, string>;
	body?: unknown;
	/**
	 * Whether repeating the call is harmless. Reads are; a write is only when the caller made it
	 * idempotent. A write without this is sent once: a lost answer is an error, never a resend.
	 */
	retry: boolean;
	/** Statuses the caller handles itself instead of getting an error (e.g. GLPI's 401 re-login). */
	acceptStatus?: number[];
	/**
	 * Ends the call early (its operation already failed, its client was closed): once aborted, no
	 * attempt or backoff wait starts and the attempt under way is abandoned. The call fails with
	 * the signal's reason when that is a WidipError.
	 */
	signal?: AbortSignal;
	/** Epoch ms by which the caller's whole operation must end, when it spans several requests. */
	deadline?: number;
}

export interface HttpResponse<T = unknown> {
	status: number;
	headers: Headers;
	body: T;
}

/**
 * Service-specific reading of an error body (GLPI's `["ERROR_X", "message"]`, …): a detail for
 * the message and, when the body says more than the status (a 400 that is really a login
 * failure), the kind of error it is.
 */
export type ErrorDetail = (status: number, body: unknown) => { detail?: string; kind?: WidipErrorKind } | undefined;

const CAP_MS = 2000;

function statusKind(status: number): WidipErrorKind {
	if (status === 401 || status === 403) return 'auth';
	if (status === 404) return 'not_found';
	if (status === 409) return 'conflict';
	if (status === 429) return 'rate_limited';
	if (status >= 500) return 'unavailable';
	return 'bad_request';
}

function statusLabel(status: number): string {
	if (status === 401 || status === 403) return 'authentication refused';
	if (status === 404) return 'not found';
	if (status === 429) return 'rate limited';
	if (status >= 500) return 'server error';
	return 'request refused';
}

function networkCode(error: unknown): string {
	const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
	return cause?.code ?? cause?.message ?? (error as Error)?.message ?? 'network error';
}

/** Waits, or stops waiting as soon as the signal fires (then rejects). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', stop);
			resolve();
		}, ms);
		const stop = () => {
			clearTimeout(timer);
			reject(signal?.reason);
		};
		signal?.addEventListener('abort', stop, { once: true });
	});
}

/** A page's <title>, one line and short: enough to recognise a login page, nothing more. */
export function pageTitle(html: string): string | undefined {
	const title = html.match(/<title[^>]*>([\s\S]*?)<\/title>/i)?.[1].replace(/\s+/g, ' ').trim();
	return title ? title.slice(0, 80) : undefined;
}

/** Retry-After as seconds (delta form or HTTP date). */
export function retryAfterSeconds(headers: Headers): number | undefined {
	const value = headers.get('retry-after');
	if (!value) return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds);
	const date = Date.parse(value);
	return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}

/**
 * A JSON-over-HTTP client with the behaviour every service client needs: one deadline for the
 * whole call, clear errors naming the service and operation, jittered backoff for repeatable calls.
 */
export class HttpService {
	constructor(
		/** Human name used in messages: "GLPI", "Observium"… */
		readonly serviceLabel: string,
		/** Service key used in WidipError.service: "glpi", "observium"… */
		readonly service: string,
		readonly config: HttpServiceConfig,
		private readonly logger: Logger = silentLogger,
		private readonly errorDetail?: ErrorDetail,
	) {}

	async request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>> {
		const deadline = Math.min(Date.now() + this.config.timeoutMs, request.deadline ?? Number.POSITIVE_INFINITY);
		const attempts = request.retry ? this.config.retries + 1 : 1;
		let lastError: WidipError | undefined;
		for (let attempt = 0; attempt < attempts; attempt++) {
			if (attempt > 0) {
				const waitMs = this.backoff(attempt, lastError);
				if (waitMs === undefined || Date.now() + waitMs >= deadline) break;
				await sleep(waitMs, request.signal).catch(() => undefined);
			}
			if (request.signal?.aborted) throw this.cancelled(request);
			try {
				return await this.once<T>(request, deadline);
			} catch (error) {
				lastError = error as WidipError;
				if (!lastError.transient) throw lastError;
			}
		}
		throw lastError!;
	}

	/** The error of a call ended by its signal: the signal's own reason when it says why. */
	private cancelled(request: HttpRequest): WidipError {
		const reason: unknown = request.signal?.reason;
		return reason instanceof WidipError ? reason : this.fail('unavailable', request.operation, 'call cancelled before it finished');
	}

	/** Full-jitter exponential backoff; a 429's Retry-After wins when it fits the deadline. */
	private backoff(attempt: number, error?: WidipError): number | undefined {
		if (error?.kind === 'rate_limited' && error.retryAfterSeconds !== undefined) {
			return error.retryAfterSeconds * 1000;
		}
		const base = this.config.backoffMs ?? 200;
		return Math.random() * Math.min(CAP_MS, base * 2 ** (attempt - 1));
	}

	private url(request: HttpRequest): string {
		const url = new URL(this.config.baseUrl.replace(/\/+$/, '') + '/' + request.path.replace(/^\/+/, ''));
		const entries = Array.isArray(request.query) ? request.query : Object.entries(request.query ?? {});
		for (const [key, value] of entries) {
			if (value !== undefined && value !== null) url.searchParams.append(key, String(value));
		}
		return url.toString();
	}

	private fail(kind: WidipErrorKind, operation: string, detail: string, retryAfter?: number): WidipError {
		return new WidipError(kind, `${this.serviceLabel} (${operation}): ${detail}`, {
			service: this.service,
			operation,
			retryAfterSeconds: retryAfter,
		});
	}

	/**
	 * A 2xx from a service that always answers JSON: JSON whatever its Content-Type (a proxy may
	 * rewrite it), else an error saying what the page probably is. Only the page's <title> is
	 * quoted, never its body.
	 */
	private parseOrExplain(request: HttpRequest, response: Response, text: string, hint: string): unknown {
		try {
			return JSON.parse(text);
		} catch {
			const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
			const html = type.includes('html') || text.trimStart().startsWith('<');
			const title = html ? pageTitle(text) : undefined;
			const what = html ? 'HTML' : type || 'a non-JSON body';
			const seen = [`HTTP ${response.status}`, ...(title ? [`<title>${title}</title>`] : [])].join(', ');
			throw this.fail('unavailable', request.operation, `${this.serviceLabel} answered ${what} instead of JSON (${seen}): ${hint}`);
		}
	}

	private async once<T>(request: HttpRequest, deadline: number): Promise<HttpResponse<T>> {
		const remaining = deadline - Date.now();
		if (remaining <= 0) throw this.fail('timeout', request.operation, `no answer within ${this.config.timeoutMs} ms`);
		const started = Date.now();
		const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
		let body: string | undefined;
		if (request.body !== undefined) {
			headers['Content-Type'] = 'application/json';
			body = JSON.stringify(request.body);
		} else if (request.method === 'GET') {
			// GLPI asks for a Content-Type on every call, and an empty body on GET.
			headers['Content-Type'] ??= 'application/json';
		}
		let response: Response;
		let text: string;
		try {
			const timeout = AbortSignal.timeout(remaining);
			response = await fetch(this.url(request), {
				method: request.method,
				headers,
				body,
				signal: request.signal ? AbortSignal.any([timeout, request.signal]) : timeout,
			});
			text = await response.text();
		} catch (error) {
			const name = (error as Error)?.name;
			this.logger.debug(`${this.serviceLabel} ${request.method} ${request.path} failed after ${Date.now() - started} ms`);
			if (request.signal?.aborted) throw this.cancelled(request);
			if (name === 'TimeoutError' || name === 'AbortError') {
				throw this.fail('timeout', request.operation, `no answer within ${this.config.timeoutMs} ms`);
			}
			throw this.fail('unavailable', request.operation, `${new URL(this.config.baseUrl).origin} is unreachable (${networkCode(error)})`);
		}
		this.logger.debug(`${this.serviceLabel} ${request.method} ${request.path} → ${response.status} in ${Date.now() - started} ms`);
		let parsed: unknown = text;
		if (response.ok && this.config.notJsonHint !== undefined && text.trim() !== '') {
			parsed = this.parseOrExplain(request, response, text, this.config.notJsonHint);
		} else if (text && (response.headers.get('content-type') ?? '').includes('json')) {
			try {
				parsed = JSON.parse(text);
			} catch {
				throw this.fail('unavailable', request.operation, `invalid JSON in the answer (HTTP ${response.status})`);
			}
		}
		if (response.ok || request.acceptStatus?.includes(response.status)) {
			return { status: response.status, headers: response.headers, body: parsed as T };
		}
		const { detail, kind } = this.errorDetail?.(response.status, parsed) ?? {};
		const retryAfter = response.status === 429 || response.status === 503 ? retryAfterSeconds(response.headers) : undefined;
		const errorKind = kind ?? statusKind(response.status);
		const label = kind === 'auth' ? 'authentication refused' : statusLabel(response.status);
		const parts = [`${label} (HTTP ${response.status}${detail ? ` ${detail}` : ''})`];
		if (retryAfter !== undefined) parts.push(`retry after ${retryAfter} s`);
		throw this.fail(errorKind, request.operation, parts.join(', '), retryAfter);
	}
}
