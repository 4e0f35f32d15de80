/**
 * The logging seam of core code. n8n nodes pass n8n's logger, the runtime passes its own, tests
 * pass a capturing one and grep it for secrets. Core code logs facts (method, path, status,
 * duration), never headers, bodies or credentials.
 */
export interface Logger {
	debug(message: string, meta?: Record<string, unknown>): void;
	info(message: string, meta?: Record<string, unknown>): void;
	warn(message: string, meta?: Record<string, unknown>): void;
	error(message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: Logger = {
	debug: () => undefined,
	info: () => undefined,
	warn: () => undefined,
	error: () => undefined,
};
