import type { WidipError } from '../../core/errors';

export interface Outcome<T = unknown> {
	result?: T;
	error?: WidipError;
	elapsedMs: number;
}

/** Runs a call and reports how it ended and how long it took (failure-path timing checks). */
export async function timed<T>(promise: Promise<T>): Promise<Outcome<T>> {
	const started = Date.now();
	try {
		return { result: await promise, elapsedMs: Date.now() - started };
	} catch (error) {
		return { error: error as WidipError, elapsedMs: Date.now() - started };
	}
}

/** Like `timed`, for a call that must fail: a success fails the test. */
export async function failure(promise: Promise<unknown>): Promise<{ error: WidipError; elapsedMs: number }> {
	const { error, elapsedMs } = await timed(promise);
	if (!error) throw new Error('expected the call to fail, it succeeded');
	return { error, elapsedMs };
}
