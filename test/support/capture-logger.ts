import type { Logger } from '../../core/logger';

/** A Logger that keeps every line, so tests can grep them for secrets. */
export function captureLogger(): Logger & { lines: string[] } {
	const lines: string[] = [];
	const log = (level: string) => (message: string, meta?: Record<string, unknown>) => {
		lines.push(`${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}`);
	};
	return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
