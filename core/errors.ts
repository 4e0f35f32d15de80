/**
 * The one error hierarchy every service client maps its failures into, so nodes, MCP tools and
 * the runtime can tell a user *what kind* of thing went wrong without parsing messages.
 */
export type WidipErrorKind =
	| 'auth'
	| 'not_found'
	| 'rate_limited'
	| 'unavailable'
	| 'timeout'
	| 'bad_request'
	| 'conflict';

export interface WidipErrorOptions {
	service: string;
	operation?: string;
	/** Seconds the caller should wait before retrying (429 / 503 Retry-After). */
	retryAfterSeconds?: number;
	cause?: unknown;
}

export class WidipError extends Error {
	readonly kind: WidipErrorKind;
	readonly service: string;
	readonly operation?: string;
	readonly retryAfterSeconds?: number;

	constructor(kind: WidipErrorKind, message: string, options: WidipErrorOptions) {
		super(message, options.cause === undefined ? undefined : { cause: options.cause });
		this.name = 'WidipError';
		this.kind = kind;
		this.service = options.service;
		this.operation = options.operation;
		this.retryAfterSeconds = options.retryAfterSeconds;
	}

	/** Whether retrying the same call later may succeed (a read may retry; a write needs a key). */
	get transient(): boolean {
		return this.kind === 'unavailable' || this.kind === 'timeout' || this.kind === 'rate_limited';
	}
}

export class ValidationError extends WidipError {
	readonly issues: string[];
	constructor(message: string, issues: string[], options: WidipErrorOptions) {
		super('bad_request', message, options);
		this.name = 'ValidationError';
		this.issues = issues;
	}
}

export function isWidipError(error: unknown): error is WidipError {
	return error instanceof WidipError;
}
