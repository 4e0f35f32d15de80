/**
 * The fixed PowerShell scripts, reviewed by machine: each reads its request from stdin, refuses a
 * request for another operation, stops on the first error, uses request values only as parameter
 * values, evaluates nothing, and fits cmd.exe's command-line limit once encoded. Plus the pure
 * helpers of the backend (ASCII JSON, group CNs, answer mapping).
 */
import { asciiJson } from '../../core/ad/ssh-backend';
import { cnOf, toInfo } from '../../core/ad/ssh-answers';
import {
	CHECKED_WRITES,
	encodeScript,
	SSH_OPERATIONS,
	SSH_SCRIPTS,
	sshCommandLine,
} from '../../core/ad/ssh-scripts';
import { decodeEncodedCommand } from './ssh-support';

const CMD_EXE_LIMIT = 8191;

/** The cmdlet each script exists for, with the request value it takes. */
const EXPECTED: Record<(typeof SSH_OPERATIONS)[number], RegExp[]> = {
	verify: [/\bGet-ADDomain\b/],
	check_user: [
		/Get-ADUser -Identity \$sam -Properties/,
		/Write-Answer \(Get-Status \(Get-TargetUser\)\)/,
	],
	get_user_info: [
		/Get-TargetUser @\('Title', 'Department', 'mail', 'LastLogonDate', 'MemberOf', 'PasswordLastSet', 'AccountLockoutTime'\)/,
	],
	account_facts: [
		/Get-TargetUser @\('objectSid', 'adminCount', 'tokenGroups'\)/,
		/objectSid = \[string\]\$user\.objectSid; adminCount = \$user\.adminCount; groupSids = \[string\[\]\]@\(\$user\.tokenGroups \| ForEach-Object \{ \[string\]\$_ \}\)/,
		/objectGuid = \[string\]\$user\.ObjectGUID/,
	],
	reset_password: [
		/\$user = Get-CheckedUser\n/,
		/ConvertTo-SecureString -String \(\[string\]\$req\.password\) -AsPlainText -Force/,
		/Set-ADAccountPassword -Identity \$user -Reset -NewPassword \$secure/,
		/Set-ADUser -Identity \$user -ChangePasswordAtLogon \(\[bool\]\$req\.mustChange\)/,
	],
	unlock_account: [/Unlock-ADAccount -Identity \(Get-CheckedUser\)/],
	enable_account: [/Enable-ADAccount -Identity \(Get-CheckedUser\)/],
	disable_account: [/Disable-ADAccount -Identity \(Get-CheckedUser\)/],
	move_to_ou: [/\$user = Get-CheckedUser\n/, /Move-ADObject -Identity \$user -TargetPath \(\[string\]\$req\.ou\)/],
	create_user: [
		/New-ADUser @new/,
		/Set-ADAccountPassword -Identity \$user -Reset/,
		/Remove-ADUser -Identity \$user -Confirm:\$false/,
	],
	delete_user: [/Remove-ADUser -Identity \(Get-CheckedUser\) -Confirm:\$false/],
};


describe('the fixed PowerShell scripts', () => {
	it.each(SSH_OPERATIONS)(
		'%s: reads stdin, checks its operation, stops on errors, does its one job',
		(op) => {
			const script = SSH_SCRIPTS[op];
			expect(script.startsWith("$ErrorActionPreference = 'Stop'\n")).toBe(true);
			expect(script).toContain(' $req = [Console]::In.ReadToEnd() | ConvertFrom-Json\n');
			expect(script).toContain(
				` if ($req.op -ne '${op}') { throw [ArgumentException]::new('this script only runs ${op}') }\n`,
			);
			expect(script).toContain('ConvertTo-Json -InputObject $Value -Compress');
			expect(script).toContain('exit 1');
			for (const pattern of EXPECTED[op]) expect(script).toMatch(pattern);
			// Only its own cmdlets that change things.
			const writes =
				script.match(
					/\b(Set-ADAccountPassword|Set-ADUser|Unlock-ADAccount|Enable-ADAccount|Disable-ADAccount|Move-ADObject|New-ADUser|Remove-ADUser)\b/g,
				) ?? [];
			const allowed: Record<string, string[]> = {
				reset_password: ['Set-ADAccountPassword', 'Set-ADUser'],
				unlock_account: ['Unlock-ADAccount'],
				enable_account: ['Enable-ADAccount'],
				disable_account: ['Disable-ADAccount'],
				move_to_ou: ['Move-ADObject'],
				create_user: [
					'New-ADUser',
					'Set-ADAccountPassword',
					'Set-ADUser',
					'Enable-ADAccount',
					'Remove-ADUser',
				],
				delete_user: ['Remove-ADUser'],
			};
			expect([...new Set(writes)].sort()).toEqual([...(allowed[op] ?? [])].sort());
			// The account a write script acts on is the one protected.ts saw (same objectGUID).
			expect([...CHECKED_WRITES].sort()).toEqual(Object.keys(allowed).filter((write) => write !== 'create_user').sort());
			const body = script.slice(script.indexOf(' Import-Module ActiveDirectory\n'));
			if (CHECKED_WRITES.has(op)) {
				expect(body).toContain('Get-CheckedUser');
				expect(body).not.toContain('Get-TargetUser');
			} else {
				expect(body).not.toContain('Get-CheckedUser');
			}
		},
	);

	it('Get-CheckedUser refuses (conflict) unless the account still has the objectGUID that was checked', () => {
		expect(SSH_SCRIPTS.reset_password).toContain(
			"if ([string]$user.ObjectGUID -ne [string]$req.guid) { Stop-WithError 'conflict' 'AccountChanged' ",
		);
	});

	it.each(SSH_OPERATIONS)(
		'%s: evaluates nothing and never builds text from request values',
		(op) => {
			const script = SSH_SCRIPTS[op];
			for (const forbidden of [
				/Invoke-Expression/i,
				/\biex\b/i,
				/-Filter\b/i,
				/-LDAPFilter\b/i,
				/\[scriptblock\]::Create/i,
				/\$ExecutionContext/i,
				/Add-Type/i,
				/Invoke-Command/i,
				/Start-Process/i,
				/cmd(\.exe)?\s*\/c/i,
			]) {
				expect(script).not.toMatch(forbidden);
			}
			// No call operator or dot-sourcing on anything.
			expect(script).not.toMatch(/(^|[\s(;])[&.]\s*[$(]/m);
			// No double-quoted strings at all: nothing is ever interpolated.
			expect(script).not.toContain('"');
			// Every use of a request value is a typed parameter value, the op check, or a presence test:
			// once those are taken out, no `$req.` is left.
			const rest = script
				.replace(/\[(string|bool)\]\$req\.[A-Za-z]+/g, '')
				.replace(/\$req\.op -ne '[a-z_]+'/g, '')
				.replace(/if \(\$req\.[A-Za-z]+\) \{/g, '')
				.replace(/if \(\$req\.enabled -eq \$true\)/g, '');
			expect(rest).not.toMatch(/\$req\./);
			expect(script.match(/\$req\.[A-Za-z]+/g)?.length ?? 0).toBeGreaterThan(0);
			// Pure ASCII: no encoding can change its meaning.
			expect(
				[...script].filter((char) => char !== '\t' && char !== '\n' && (char < ' ' || char > '~')),
			).toEqual([]);
		},
	);

	it.each(SSH_OPERATIONS)(
		"%s: the command line is `<powershell> -NoProfile -NonInteractive -EncodedCommand <base64>`, under cmd.exe's limit",
		(op) => {
			for (const powershell of [
				'powershell.exe',
				'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
			]) {
				const line = sshCommandLine(powershell, op);
				const match = /^(.+) -NoProfile -NonInteractive -EncodedCommand ([A-Za-z0-9+/]+=*)$/.exec(
					line,
				);
				expect(match?.[1]).toBe(powershell);
				expect(decodeEncodedCommand(match?.[2] ?? '')).toBe(SSH_SCRIPTS[op]);
				expect(match?.[2]).toBe(encodeScript(SSH_SCRIPTS[op]));
				expect(line.length).toBeLessThanOrEqual(CMD_EXE_LIMIT);
			}
		},
	);

	it('each operation has its own script, frozen', () => {
		expect(new Set(Object.values(SSH_SCRIPTS)).size).toBe(SSH_OPERATIONS.length);
		expect(Object.isFrozen(SSH_SCRIPTS)).toBe(true);
		expect(Object.keys(SSH_SCRIPTS).sort()).toEqual([...SSH_OPERATIONS].sort());
	});

	it('-EncodedCommand is base64 of UTF-16LE (known vector from about_Pwsh)', () => {
		// about_Pwsh: $command = 'dir "c:\program files" '; → ZABpAHIAIAAiAGMAOgBcAHAAcgBvAGcAcgBhAG0AIABmAGkAbABlAHMAIgAgAA==
		expect(encodeScript('dir "c:\\program files" ')).toBe(
			'ZABpAHIAIAAiAGMAOgBcAHAAcgBvAGcAcgBhAG0AIABmAGkAbABlAHMAIgAgAA==',
		);
	});
});

describe('backend helpers', () => {
	it('asciiJson writes every non-ASCII character as \\uXXXX and parses back to the same value', () => {
		const value = {
			sam: 'ｍ.dubois',
			givenName: 'Hélène',
			emoji: '😀',
			sep: '\u2028',
			nul: '\u0000',
			quote: `'"\\`,
		};
		const text = asciiJson(value);
		expect(text).toMatch(/^[\x20-\x7e]*$/);
		expect(text).toContain('H\\u00e9l\\u00e8ne');
		expect(text).toContain('\\ud83d\\ude00');
		expect(JSON.parse(text)).toEqual(value);
	});

	it('cnOf turns group DNs into names, undoing RFC 4514 escapes', () => {
		expect(cnOf('CN=Soignants\\, Les Tilleuls,OU=Groupes,DC=widip,DC=test')).toBe(
			'Soignants, Les Tilleuls',
		);
		expect(cnOf('CN=Domain Users,CN=Users,DC=widip,DC=test')).toBe('Domain Users');
		expect(cnOf('CN=Infirmi\\C3\\A8res,OU=Groupes,DC=widip,DC=test')).toBe('Infirmières');
		expect(cnOf('CN=A\\+B \\"C\\",DC=x')).toBe('A+B "C"');
	});

	it('toInfo: PowerShell round-trip dates become ISO, an expired lockout is no lockout', () => {
		const info = toInfo({
			sAMAccountName: 'a',
			displayName: null,
			distinguishedName: 'CN=a,DC=x',
			enabled: true,
			locked: false,
			title: null,
			department: null,
			mail: null,
			lastLogon: '2025-03-01T09:15:30.1234567+01:00',
			memberOf: [],
			passwordLastSet: null,
			lockoutTime: '2025-03-01T08:00:00.0000000Z',
		});
		expect(info.lastLogon).toBe('2025-03-01T08:15:30.123Z');
		expect(info.lockoutTime).toBeNull();
		expect(info.displayName).toBe('');
	});
});
