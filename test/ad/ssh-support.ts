export { timed, type Outcome } from '../support/timed';
import { asciiJson } from '../../core/ad/ssh-backend';
import { SSH_SCRIPTS, sshCommandLine, type SshOperation } from '../../core/ad/ssh-scripts';
import type { SshTestServer, StandInCall } from './ssh-server';


/** Decodes `-EncodedCommand`'s argument back to the script text (UTF-16LE). */
export function decodeEncodedCommand(base64: string): string {
	return Buffer.from(base64, 'base64').toString('utf16le');
}

/**
 * Checks one recorded exchange: the command string sshd received is exactly the constant command
 * line of `op`, the stand-in's argv is exactly that line split in five, the base64 decodes to the
 * script of ssh-scripts.ts, and stdin is exactly the ASCII JSON of `request`. Returns the stdin.
 */
export function expectExchange(
	server: SshTestServer,
	command: string,
	call: StandInCall,
	op: SshOperation,
	request: Record<string, unknown>,
): string {
	const expectedLine = sshCommandLine(server.powershell, op);
	expect(command).toBe(expectedLine);
	expect(call.argv).toHaveLength(5);
	expect(call.argv.slice(0, 4)).toEqual([
		server.powershell,
		'-NoProfile',
		'-NonInteractive',
		'-EncodedCommand',
	]);
	expect(call.argv[4]).toMatch(/^[A-Za-z0-9+/]+=*$/);
	expect(decodeEncodedCommand(call.argv[4])).toBe(SSH_SCRIPTS[op]);
	const stdin = call.stdin.toString('latin1');
	expect(stdin).toMatch(/^[\x20-\x7e]*$/);
	expect(call.stdin.equals(Buffer.from(asciiJson(request), 'latin1'))).toBe(true);
	expect(JSON.parse(call.stdin.toString('utf8'))).toEqual(request);
	return stdin;
}

/** The one exchange recorded since the logs were cleared (fails if there were more or none). */
export function onlyExchange(server: SshTestServer): { command: string; call: StandInCall } {
	const commands = server.commands();
	const calls = server.calls();
	expect(commands).toHaveLength(1);
	expect(calls).toHaveLength(1);
	return { command: commands[0], call: calls[0] };
}
