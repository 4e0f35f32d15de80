/**
 * The "PowerShell" of the SSH test server (ssh-server.ts): a Node script that records exactly what
 * it received (argv, stdin) and answers like the real scripts of core/ad/ssh-scripts.ts, from the
 * directory of stand-in-directory.ts. `Scenario` makes it misbehave (hang, crash, garbage…).
 */
import type { SshOperation } from '../../core/ad/ssh-scripts';
import { DOMAIN } from './stand-in-directory';

/** What the stand-in does; with `op`, only that operation's script does it. */
export type Scenario = ScenarioMode & { op?: SshOperation };

type ScenarioMode =
	| { mode: 'normal' }
	/** Never answers (exits on its own after `hangMs`, or when stop() kills it). */
	| { mode: 'hang'; hangMs?: number }
	/**
	 * Prints an error to stderr as Windows PowerShell does (CLIXML) and exits with `exitCode`.
	 * `echoPassword`: a careless server that repeats the request's password in its error text.
	 */
	| { mode: 'crash'; exitCode: number; message: string; echoPassword?: boolean }
	/** Prints text that is not JSON, exit 0. */
	| { mode: 'garbage' }
	/** A well-formed answer, but with this exit code. */
	| { mode: 'wrong_exit'; exitCode: number }
	/** JSON of the wrong shape, exit 0. */
	| { mode: 'bad_shape' }
	/** account_facts answers as if the service account could not read this attribute. */
	| { mode: 'unreadable'; attribute: 'objectSid' | 'tokenGroups' }
	/** The account was replaced after account_facts: write scripts find another objectGUID. */
	| { mode: 'replaced' };

/** The stand-in's source: Node, run by the same Node binary as the tests. */
export function standInSource(callsLog: string, scenarioFile: string, pidsLog: string, directoryFile: string): string {
	return `#!${process.execPath}
'use strict';
const fs = require('fs');
const CALLS = ${JSON.stringify(callsLog)};
const SCENARIO = ${JSON.stringify(scenarioFile)};
// Every stand-in that ever started, so that stop() can end those still running.
fs.appendFileSync(${JSON.stringify(pidsLog)}, process.pid + '\\n');
const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
	const stdin = Buffer.concat(chunks);
	fs.appendFileSync(CALLS, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1), stdin: stdin.toString('base64') }) + '\\n');
	let scenario = { mode: 'normal' };
	try { scenario = JSON.parse(fs.readFileSync(SCENARIO, 'utf8')); } catch {}
	respond(stdin, scenario);
});

// Like the real scripts: compact JSON, every non-ASCII character as \\uXXXX.
const json = (value) => JSON.stringify(value).replace(/[\\u007f-\\uffff]/g, (c) => '\\\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
const PROGRESS = '#< CLIXML\\r\\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj></Objs>';
function finish(stdout, code, stderr) {
	process.stderr.write(stderr === undefined ? PROGRESS : stderr);
	process.stdout.write(stdout);
	process.exitCode = code;
}
const refuse = (category, type, message) => finish(json({ error: { category, type, message } }), 1);

const DOMAIN = ${JSON.stringify(DOMAIN)};
// The directory (stand-in-directory.ts): users with their SIDs, GUIDs, adminCount and tokenGroups.
const USERS = JSON.parse(fs.readFileSync(${JSON.stringify(directoryFile)}, 'utf8'));
const known = (sam) => (typeof sam === 'string' && Object.prototype.hasOwnProperty.call(USERS, sam) ? USERS[sam] : undefined);
const WRITES = ['reset_password', 'unlock_account', 'enable_account', 'disable_account', 'move_to_ou', 'delete_user'];

function notFound(identity) {
	refuse('not_found', 'ADIdentityNotFoundException', "Cannot find an object with identity: '" + identity + "' under: '" + DOMAIN + "'.");
}
function escapeRdn(value) {
	return value.replace(/[,+"\\\\<>;=]/g, (c) => '\\\\' + c).replace(/^[ #]/, (c) => '\\\\' + c);
}
function weak(password, sam) {
	const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
	return typeof password !== 'string' || password.length < 12 || classes < 3 || password.toLowerCase().includes(String(sam).toLowerCase());
}
function ouExists(ou) {
	return typeof ou === 'string' && ou.endsWith(',' + DOMAIN) && !/OU=Nowhere/i.test(ou);
}

function respond(stdin, chosen) {
	// Which script is this? The real one knows; the stand-in reads it from -EncodedCommand.
	const args = process.argv.slice(2);
	const at = args.indexOf('-EncodedCommand');
	const script = at >= 0 ? Buffer.from(args[at + 1] || '', 'base64').toString('utf16le') : '';
	const declared = /\\$req\\.op -ne '([a-z_]+)'/.exec(script);
	// A scenario naming one script leaves the others (e.g. the account_facts step) answering normally.
	const scenario = chosen.op && (!declared || declared[1] !== chosen.op) ? { mode: 'normal' } : chosen;
	if (scenario.mode === 'hang') { setTimeout(() => process.exit(0), scenario.hangMs || 20000); return; }
	if (scenario.mode === 'crash') {
		let message = scenario.message;
		if (scenario.echoPassword) { try { message += ' (password: ' + JSON.parse(stdin.toString('utf8')).password + ')'; } catch {} }
		const text = message.replace(/\\r?\\n/g, '_x000D__x000A_').replace(/&/g, '&amp;').replace(/</g, '&lt;');
		finish('', scenario.exitCode, '#< CLIXML\\r\\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">' + text + '_x000D__x000A_</S></Objs>');
		return;
	}
	if (scenario.mode === 'garbage') { finish('Bonjour, ceci n est pas du JSON\\r\\n', 0); return; }
	if (scenario.mode === 'bad_shape') { finish(json({ sAMAccountName: 42, enabled: 'yes' }), 0); return; }

	if (!declared) { finish('', 1, 'The term is not recognized as a script this stand-in knows.'); return; }
	const op = declared[1];
	let req;
	try { req = JSON.parse(stdin.toString('utf8')); } catch { refuse('bad_request', 'ArgumentException', 'Invalid JSON primitive.'); return; }
	if (req.op !== op) { refuse('bad_request', 'ArgumentException', 'this script only runs ' + op); return; }
	const code = scenario.mode === 'wrong_exit' ? scenario.exitCode : 0;
	const ok = (value) => finish(json(value), code);

	if (op === 'verify') { ok({ ok: true, domain: 'widip.test' }); return; }
	if (op === 'create_user') {
		if (known(req.sam)) { refuse('conflict', 'ADIdentityAlreadyExistsException', 'The specified account already exists'); return; }
		if (!ouExists(req.ou)) { refuse('not_found', 'ADIdentityNotFoundException', 'Directory object not found'); return; }
		if (weak(req.password, req.sam)) { refuse('bad_request', 'ADPasswordComplexityException', 'The password does not meet the length, complexity, or history requirement of the domain.'); return; }
		ok({ distinguishedName: 'CN=' + escapeRdn(req.displayName) + ',' + req.ou });
		return;
	}
	const user = known(req.sam);
	if (!user) { notFound(req.sam); return; }
	if (op === 'account_facts') {
		// What the real script reads with Get-ADUser -Properties objectSid, adminCount, tokenGroups;
		// an attribute the service account may not read comes back empty, as AD does.
		const hidden = scenario.mode === 'unreadable' ? scenario.attribute : '';
		ok({ sAMAccountName: req.sam, distinguishedName: user.dn, objectGuid: user.objectGuid, objectSid: hidden === 'objectSid' ? null : user.objectSid, adminCount: user.adminCount, groupSids: hidden === 'tokenGroups' ? [] : user.groupSids });
		return;
	}
	if (WRITES.includes(op)) {
		// Get-CheckedUser: the account must still be the object whose facts were checked.
		const current = scenario.mode === 'replaced' ? 'ffffffff-0000-4000-8000-' + user.objectGuid.slice(-12) : user.objectGuid;
		if (current !== String(req.guid)) { refuse('conflict', 'AccountChanged', 'the account is not the one checked for protection just before (renamed or replaced in between); nothing was changed'); return; }
		if (user.accessDenied) { refuse('auth', 'ADException', 'Insufficient access rights to perform the operation'); return; }
	}
	const status = { sAMAccountName: req.sam, displayName: user.displayName, distinguishedName: user.dn, enabled: user.enabled, locked: user.locked };
	switch (op) {
		case 'check_user': ok(status); return;
		case 'get_user_info':
			ok(Object.assign(status, { title: user.title, department: user.department, mail: user.mail, lastLogon: user.lastLogon, memberOf: user.memberOf, passwordLastSet: user.passwordLastSet, lockoutTime: user.lockoutTime }));
			return;
		case 'reset_password':
			if (weak(req.password, req.sam)) { refuse('bad_request', 'ADPasswordComplexityException', 'The password does not meet the length, complexity, or history requirement of the domain.'); return; }
			ok({ ok: true });
			return;
		case 'move_to_ou':
			if (!ouExists(req.ou)) { refuse('not_found', 'ADIdentityNotFoundException', 'Directory object not found'); return; }
			ok({ distinguishedName: user.dn.split(/(?<!\\\\),/)[0] + ',' + req.ou });
			return;
		case 'unlock_account': case 'enable_account': case 'disable_account': case 'delete_user':
			ok({ ok: true });
			return;
		default:
			finish('', 1, 'unknown operation ' + op);
	}
}
`;
}
