/**
 * The PowerShell scripts the SSH backend runs on the Windows server: one FIXED, reviewed script per
 * operation. They never contain data. Each reads its request as JSON on stdin and passes the values
 * to cmdlets only as parameter values (`-Identity`, `-TargetPath`, a splatted hashtable): nothing is
 * ever evaluated (no Invoke-Expression, no string-built -Filter, no `&` on data). The password
 * travels inside the stdin JSON and becomes a SecureString at once.
 *
 * Answers are one line of compact JSON on stdout, ASCII only (non-ASCII is written as \uXXXX, so
 * the server's console code page cannot garble accented names). Failures answer
 * `{"error":{"category","type","message"}}` and exit 1; the categories are the WidipError kinds the
 * backend maps them to.
 *
 * The command line is `<powershell> -NoProfile -NonInteractive -EncodedCommand <base64 of the
 * UTF-16LE script>`: base64 has no character that cmd.exe or PowerShell (Windows OpenSSH's possible
 * default shells) would interpret, and the encoded script stays under cmd.exe's 8191-character
 * line limit (a test checks it).
 *
 * These texts are built once at load time from constants only; a test decodes what the server
 * received and compares it with SSH_SCRIPTS byte for byte. Review them as the final text: no
 * template placeholder below is ever filled with request data.
 */

/** The operations the SSH backend runs, each with its own script. */
export const SSH_OPERATIONS = [
	'verify',
	'check_user',
	'get_user_info',
	'account_facts',
	'reset_password',
	'unlock_account',
	'enable_account',
	'disable_account',
	'move_to_ou',
	'create_user',
	'delete_user',
] as const;

export type SshOperation = (typeof SSH_OPERATIONS)[number];

/**
 * Shared by every script. `Get-TargetUser` resolves `$req.sam` with `Get-ADUser -Identity` and then
 * insists that the account found has exactly that sAMAccountName: -Identity also accepts a DN, a
 * GUID or a SID, and a backend call must only ever touch the account it names.
 *
 * Writes to an existing account come second: the backend first runs `account_facts` and lets
 * protected.ts decide (privileged accounts are refused there, in one place for both backends).
 * `Get-CheckedUser` then makes the write script touch only the object that was checked: the same
 * name must still resolve to the objectGUID the facts gave (`$req.guid`).
 */
const PRELUDE = String.raw`$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$env:ADPS_LoadDefaultDrive = '0'
function Write-Answer($Value) {
 $json = ConvertTo-Json -InputObject $Value -Compress -Depth 4
 [Console]::Out.Write([regex]::Replace($json, '[^\x00-\x7f]', { param($m) '\u{0:x4}' -f [int][char]$m.Value }))
}
function Stop-WithError([string]$Category, [string]$Type, [string]$Message) {
 Write-Answer @{ error = [ordered]@{ category = $Category; type = $Type; message = $Message } }
 exit 1
}
function ConvertTo-Iso($Date) {
 if ($null -eq $Date) { return $null }
 return $Date.ToUniversalTime().ToString('o')
}
function Get-TargetUser([string[]]$Properties = @()) {
 $sam = [string]$req.sam
 $user = Get-ADUser -Identity $sam -Properties (@('DisplayName', 'LockedOut') + $Properties)
 if ($user.SamAccountName -ne $sam) { Stop-WithError 'not_found' 'SamAccountNameMismatch' 'no account has this sAMAccountName' }
 return $user
}
function Get-Status($User) {
 return [ordered]@{ sAMAccountName = $User.SamAccountName; displayName = $User.DisplayName; distinguishedName = $User.DistinguishedName; enabled = $User.Enabled; locked = $User.LockedOut }
}
`;

/**
 * Only in the scripts that write to an existing account (CHECKED_WRITES): the others stay within
 * cmd.exe's command-line limit.
 */
const CHECKED = String.raw`function Get-CheckedUser {
 $user = Get-TargetUser
 if ([string]$user.ObjectGUID -ne [string]$req.guid) { Stop-WithError 'conflict' 'AccountChanged' 'the account is not the one checked for protection just before (renamed or replaced in between); nothing was changed' }
 return $user
}
`;

/** The writes that act on an existing account, after the account_facts step. */
export const CHECKED_WRITES: ReadonlySet<SshOperation> = new Set([
	'reset_password',
	'unlock_account',
	'enable_account',
	'disable_account',
	'move_to_ou',
	'delete_user',
]);

const HANDLER = String.raw`} catch {
 $e = $_.Exception
 $type = $e.GetType().Name
 $category = 'unavailable'
 if ($type -eq 'ADIdentityNotFoundException') { $category = 'not_found' }
 elseif ($type -like 'ADPassword*Exception') { $category = 'bad_request' }
 elseif ($type -eq 'ADIdentityAlreadyExistsException') { $category = 'conflict' }
 elseif ($e -is [UnauthorizedAccessException] -or $e.Message -match 'Access is denied|Insufficient access rights') { $category = 'auth' }
 elseif ($e -is [ArgumentException]) { $category = 'bad_request' }
 Stop-WithError $category $type $e.Message
}
`;

/** The body of each script, run after the request is read and the ActiveDirectory module loaded. */
const BODIES: Record<SshOperation, string> = {
	verify: String.raw` $domain = Get-ADDomain
 Write-Answer ([ordered]@{ ok = $true; domain = [string]$domain.DNSRoot })
`,
	check_user: String.raw` Write-Answer (Get-Status (Get-TargetUser))
`,
	get_user_info: String.raw` $user = Get-TargetUser @('Title', 'Department', 'mail', 'LastLogonDate', 'MemberOf', 'PasswordLastSet', 'AccountLockoutTime')
 $info = Get-Status $user
 $info.title = $user.Title
 $info.department = $user.Department
 $info.mail = $user.mail
 $info.lastLogon = ConvertTo-Iso $user.LastLogonDate
 $info.memberOf = [string[]]@($user.MemberOf)
 $info.passwordLastSet = ConvertTo-Iso $user.PasswordLastSet
 $info.lockoutTime = ConvertTo-Iso $user.AccountLockoutTime
 Write-Answer $info
`,
	// What protected.ts needs: the SID (RID 500 / 502), adminCount, and tokenGroups (every group of
	// the account's token, nested and primary group included, as SIDs: names are localised).
	account_facts: String.raw` $user = Get-TargetUser @('objectSid', 'adminCount', 'tokenGroups')
 Write-Answer ([ordered]@{ sAMAccountName = $user.SamAccountName; distinguishedName = $user.DistinguishedName; objectGuid = [string]$user.ObjectGUID; objectSid = [string]$user.objectSid; adminCount = $user.adminCount; groupSids = [string[]]@($user.tokenGroups | ForEach-Object { [string]$_ }) })
`,
	reset_password: String.raw` $user = Get-CheckedUser
 $secure = ConvertTo-SecureString -String ([string]$req.password) -AsPlainText -Force
 Set-ADAccountPassword -Identity $user -Reset -NewPassword $secure
 Set-ADUser -Identity $user -ChangePasswordAtLogon ([bool]$req.mustChange)
 Write-Answer @{ ok = $true }
`,
	unlock_account: String.raw` Unlock-ADAccount -Identity (Get-CheckedUser)
 Write-Answer @{ ok = $true }
`,
	enable_account: String.raw` Enable-ADAccount -Identity (Get-CheckedUser)
 Write-Answer @{ ok = $true }
`,
	disable_account: String.raw` Disable-ADAccount -Identity (Get-CheckedUser)
 Write-Answer @{ ok = $true }
`,
	move_to_ou: String.raw` $user = Get-CheckedUser
 Move-ADObject -Identity $user -TargetPath ([string]$req.ou)
 $moved = Get-ADUser -Identity $user.ObjectGUID
 Write-Answer @{ distinguishedName = [string]$moved.DistinguishedName }
`,
	// Created disabled and without a password, then given its password, then enabled: if the
	// domain refuses the password, the half-made account (found by the object New-ADUser returned,
	// never by name) is removed again and the refusal is reported.
	create_user: String.raw` $new = @{ Name = [string]$req.displayName; SamAccountName = [string]$req.sam; GivenName = [string]$req.givenName; Surname = [string]$req.surname; DisplayName = [string]$req.displayName; Path = [string]$req.ou; Enabled = $false; PassThru = $true }
 if ($req.mail) { $new.EmailAddress = [string]$req.mail }
 if ($req.title) { $new.Title = [string]$req.title }
 if ($req.department) { $new.Department = [string]$req.department }
 $user = New-ADUser @new
 try {
  Set-ADAccountPassword -Identity $user -Reset -NewPassword (ConvertTo-SecureString -String ([string]$req.password) -AsPlainText -Force)
  Set-ADUser -Identity $user -ChangePasswordAtLogon ([bool]$req.mustChange)
  if ($req.enabled -eq $true) { Enable-ADAccount -Identity $user }
 } catch {
  $failure = $_
  try { Remove-ADUser -Identity $user -Confirm:$false } catch { }
  throw $failure
 }
 Write-Answer @{ distinguishedName = [string]$user.DistinguishedName }
`,
	delete_user: String.raw` Remove-ADUser -Identity (Get-CheckedUser) -Confirm:$false
 Write-Answer @{ ok = $true }
`,
};

function buildScript(operation: SshOperation): string {
	return (
		PRELUDE +
		(CHECKED_WRITES.has(operation) ? CHECKED : '') +
		'try {\n' +
		' $req = [Console]::In.ReadToEnd() | ConvertFrom-Json\n' +
		` if ($req.op -ne '${operation}') { throw [ArgumentException]::new('this script only runs ${operation}') }\n` +
		' Import-Module ActiveDirectory\n' +
		BODIES[operation] +
		HANDLER
	);
}

/** The final script text of every operation: constant for the life of the process. */
export const SSH_SCRIPTS: Readonly<Record<SshOperation, string>> = Object.freeze(
	Object.fromEntries(
		SSH_OPERATIONS.map((operation) => [operation, buildScript(operation)]),
	) as Record<SshOperation, string>,
);

/** Base64 of the UTF-16LE script, as `-EncodedCommand` expects. */
export function encodeScript(script: string): string {
	return Buffer.from(script, 'utf16le').toString('base64');
}

const ENCODED: Readonly<Record<SshOperation, string>> = Object.freeze(
	Object.fromEntries(
		SSH_OPERATIONS.map((operation) => [operation, encodeScript(SSH_SCRIPTS[operation])]),
	) as Record<SshOperation, string>,
);

/**
 * The whole command line sent for an operation, and nothing else: the configured executable (the
 * config schema allows only letters, digits, `_ . : \ / -` and spaces in it) and the encoded script.
 */
export function sshCommandLine(powershell: string, operation: SshOperation): string {
	return `${powershell} -NoProfile -NonInteractive -EncodedCommand ${ENCODED[operation]}`;
}
