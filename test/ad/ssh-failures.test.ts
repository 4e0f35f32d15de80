/**
 * Transport failures of the SSH backend, each a clear WidipError within timeoutMs: sshd stopped,
 * a PowerShell that never answers, a port that accepts but never speaks SSH, close() while an
 * operation runs. Real sshd, real sockets.
 */
import net from 'node:net';

import { SshBackend } from '../../core/ad/ssh-backend';
import { captureLogger } from '../support/capture-logger';
import { startSshServer, type SshTestServer } from './ssh-server';
import { timed } from './ssh-support';

jest.setTimeout(60_000);

const TIMEOUT_MS = 1500;
/** Scheduling slack on top of the configured timeout. */
const SLACK_MS = 500;
const PASSWORD = 'Hang-Reset-Tilleuls-88%w';

describe('SshBackend transport failures', () => {
	let server: SshTestServer;
	const logger = captureLogger();

	beforeAll(async () => {
		server = await startSshServer();
	}, 600_000);
	beforeEach(() => {
		server.clearLogs();
		server.setScenario({ mode: 'normal' });
	});
	afterAll(async () => {
		await server?.stop();
	});

	it('a PowerShell that never answers a read: timeout within timeoutMs, after the request was delivered', async () => {
		server.setScenario({ mode: 'hang', hangMs: 20_000 });
		const backend = new SshBackend(server.config({ timeoutMs: TIMEOUT_MS }), logger);
		const { error, elapsedMs } = await timed(backend.checkUser('m.dubois'));
		expect(error).toMatchObject({
			name: 'WidipError',
			kind: 'timeout',
			service: 'ad',
			operation: 'ad.check_user',
		});
		expect(error?.message).toBe(
			`Active Directory over SSH (ad.check_user): PowerShell on 127.0.0.1:${server.port} did not answer within ${TIMEOUT_MS} ms`,
		);
		expect(error?.transient).toBe(true);
		expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
		expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
		// the stand-in logs the request once its stdin closes, which can land just after we gave up
		const deadline = Date.now() + 3000;
		while (server.calls().length === 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 20));
		expect(server.calls()).toHaveLength(1);
	});

	it('a write that times out says the change may have been made, and never shows the password', async () => {
		// the account_facts step answers; the write script itself hangs
		server.setScenario({ mode: 'hang', hangMs: 20_000, op: 'reset_password' });
		// twice the usual timeout: the facts step must get through even on a loaded machine
		const backend = new SshBackend(server.config({ timeoutMs: 2 * TIMEOUT_MS }), logger);
		const { error, elapsedMs } = await timed(backend.resetPassword('m.dubois', PASSWORD, true));
		expect(error).toMatchObject({ kind: 'timeout', operation: 'ad.reset_password' });
		expect(error?.message).toContain(
			'the change may or may not have been made: check the account before trying again',
		);
		expect(error?.message).not.toContain(PASSWORD);
		// each step has its own deadline: the facts step answered, the write ran into its own
		expect(elapsedMs).toBeLessThan(4 * TIMEOUT_MS + SLACK_MS);
		// found by op: a late record of the previous test's call may sit in the log too
		const requests = server.calls().map((call) => JSON.parse(call.stdin.toString('utf8')) as { op: string; password?: string });
		expect(requests.filter((request) => request.op === 'account_facts')).toHaveLength(1);
		expect(requests.find((request) => request.op === 'reset_password')?.password).toBe(PASSWORD);
		expect(logger.lines.join('\n')).not.toContain(PASSWORD);
	});

	it('close() while an operation runs ends it at once with unavailable', async () => {
		server.setScenario({ mode: 'hang', hangMs: 20_000 });
		const backend = new SshBackend(server.config({ timeoutMs: 10_000 }), logger);
		const pending = timed(backend.unlock('j.martin'));
		// this test's call (its account_facts step), not a late record of the previous test's
		const ours = () => server.calls().filter((call) => JSON.parse(call.stdin.toString('utf8')).sam === 'j.martin');
		const deadline = Date.now() + 5000;
		while (ours().length === 0 && Date.now() < deadline)
			await new Promise((resolve) => setTimeout(resolve, 20));
		expect(ours()).toHaveLength(1);
		await backend.close();
		const { error, elapsedMs } = await pending;
		expect(error).toMatchObject({ kind: 'unavailable', operation: 'ad.unlock_account' });
		expect(error?.message).toContain('before PowerShell answered');
		expect(elapsedMs).toBeLessThan(5000);
	});

	it('a port that accepts but never speaks SSH: timeout within timeoutMs, nothing run', async () => {
		const sockets = new Set<net.Socket>();
		const silent = net.createServer((socket) => {
			sockets.add(socket);
			socket.on('error', () => undefined);
		});
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		const port = (silent.address() as net.AddressInfo).port;
		try {
			const backend = new SshBackend(server.config({ port, timeoutMs: TIMEOUT_MS }), logger);
			const { error, elapsedMs } = await timed(backend.verify());
			expect(error).toMatchObject({ kind: 'timeout', operation: 'ad.verify' });
			expect(error?.message).toBe(
				`Active Directory over SSH (ad.verify): no SSH session with 127.0.0.1:${port} within ${TIMEOUT_MS} ms (nothing was run)`,
			);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
		} finally {
			for (const socket of sockets) socket.destroy();
			await new Promise((resolve) => silent.close(resolve));
		}
	});

	// Last: stops this file's sshd.
	it('sshd stopped: unavailable "refused the connection" within timeoutMs, for every kind of call', async () => {
		const backend = new SshBackend(server.config({ timeoutMs: TIMEOUT_MS }), logger);
		// first, proof the server works (a login alone can take over a second on a busy machine)
		await expect(new SshBackend(server.config({ timeoutMs: 10_000 }), logger).verify()).resolves.toBeUndefined();
		await server.stopSshd();
		expect(server.running()).toBe(false);
		server.clearLogs();
		const calls: Array<[string, () => Promise<unknown>]> = [
			['ad.check_user', () => backend.checkUser('m.dubois')],
			['ad.reset_password', () => backend.resetPassword('m.dubois', PASSWORD, true)],
		];
		for (const [operation, call] of calls) {
			const { error, elapsedMs } = await timed(call());
			expect(error).toMatchObject({ name: 'WidipError', kind: 'unavailable', operation });
			expect(error?.message).toBe(
				`Active Directory over SSH (${operation}): 127.0.0.1:${server.port} refused the connection (is the SSH server running?)`,
			);
			expect(error?.message).not.toContain(PASSWORD);
			expect(elapsedMs).toBeLessThan(TIMEOUT_MS);
		}
		expect(server.calls()).toEqual([]);
	});
});
