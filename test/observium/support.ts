export { failure } from '../support/timed';
import { randomBytes } from 'node:crypto';

import type { ObserviumConfigInput } from '../../core/observium/config';
import { ObserviumClient } from '../../core/observium/client';
import type { Logger } from '../../core/logger';
import { createObserviumSimulator, type ObserviumSimulator } from '../../sandbox/simulators/observium';

/** A password unique to the run, so "it appears nowhere" checks cannot pass by accident. */
export const PASSWORD = `Obs-${randomBytes(6).toString('hex')}-pw`;

export async function startSimulator(): Promise<ObserviumSimulator> {
	const simulator = createObserviumSimulator({ password: PASSWORD });
	await simulator.start(0, '127.0.0.1');
	return simulator;
}

export function clientFor(
	simulator: ObserviumSimulator,
	extra: Partial<ObserviumConfigInput> = {},
	logger?: Logger,
): ObserviumClient {
	return new ObserviumClient(
		{ baseUrl: `${simulator.url}/api/v0`, username: simulator.username, password: PASSWORD, timeoutMs: 3000, ...extra },
		logger,
	);
}

/** What Observium itself answers, read without our client: the reference for conversions. */
export async function rawApi(simulator: ObserviumSimulator, path: string): Promise<Record<string, any>> {
	const response = await fetch(`${simulator.url}/api/v0/${path}`, {
		headers: { Authorization: `Basic ${Buffer.from(`${simulator.username}:${PASSWORD}`).toString('base64')}` },
	});
	return (await response.json()) as Record<string, any>;
}

export interface CapturingLogger extends Logger {
	lines: string[];
}

/** Keeps every message and its metadata as one line of text, to grep for secrets. */
export function capturingLogger(): CapturingLogger {
	const lines: string[] = [];
	const record = (level: string) => (message: string, meta?: Record<string, unknown>) => {
		lines.push(`${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}`);
	};
	return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
}

/** Runs a promise that must fail and returns its error with how long it took. */
