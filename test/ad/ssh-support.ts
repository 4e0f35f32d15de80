export { timed, type Outcome } from '../support/timed';
import { asciiJson } from '../../core/ad/ssh-backend';
import { SSH_SCRIPTS, sshCommandLine, type SshOperation } from '../../core/ad/ssh-scripts';
import type { SshTestServer, StandInCall } from './ssh-server';
import { USERS } from './stand-in-directory';


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

/**
 * A write to an existing account is two exchanges: `account_facts` for the account (the protection
 * check of protected.ts), then the write script with the objectGUID the facts gave. Checks both,
 * starting at `at` in the logs, and returns the write's stdin. `request` is the write's request
 * without `guid` (added right after `sam`, where the backend puts it).
 */
export function expectCheckedWrite(
	server: SshTestServer,
	at: number,
	op: SshOperation,
	request: { sam: string } & Record<string, unknown>,
): string {
	const commands = server.commands();
	const calls = server.calls();
	expect(calls.length).toBeGreaterThanOrEqual(at + 2);
	expectExchange(server, commands[at], calls[at], 'account_facts', { op: 'account_facts', sam: request.sam });
	const { sam, ...rest } = request;
	const guid = USERS[sam]?.objectGuid;
	expect(guid).toBeDefined();
	return expectExchange(server, commands[at + 1], calls[at + 1], op, { op, sam, guid, ...rest });
}

/** The one checked write recorded since the logs were cleared (facts step + write, nothing else). */
export function onlyCheckedWrite(
	server: SshTestServer,
	op: SshOperation,
	request: { sam: string } & Record<string, unknown>,
): { command: string; call: StandInCall; stdin: string } {
	expect(server.calls()).toHaveLength(2);
	expect(server.commands()).toHaveLength(2);
	const stdin = expectCheckedWrite(server, 0, op, request);
	return { command: server.commands()[1], call: server.calls()[1], stdin };
}
