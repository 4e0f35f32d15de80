import { WidipError } from '../errors';
import { firstRdn, parentDn, unescapeRdnValue } from './ldap-dn';
import { domainRid } from './sid';

/**
 * The one rule that keeps WIDIP's automation off privileged accounts, for both backends. Each
 * backend reads the facts from the directory (LDAPS: objectSid, adminCount and tokenGroups of the
 * account; SSH: the same through Get-ADUser) and asks here before any write. Reads stay allowed.
 *
 * Privilege is recognised by SID, never by name: group and account names are localised and can be
 * renamed ("Administrateurs", a renamed Administrator), SIDs cannot. Group membership comes from
 * tokenGroups, which AD computes transitively (nested groups) and which includes the primary
 * group, so neither nesting nor primaryGroupID hides a Domain Admin.
 */

export interface AccountFacts {
	/** sAMAccountName as the directory holds it. */
	sam: string;
	dn: string;
	/** `S-1-5-21-…-1105`; null when the directory did not give it. */
	objectSid: string | null;
	adminCount: number | null;
	/** Every group SID of the account's token (tokenGroups): nested groups and primary group included. */
	groupSids: string[];
}

export interface ProtectionSettings {
	/** sAMAccountNames never to change (case-insensitive), besides the privileged ones. */
	protectedAccounts?: string[];
	/** When not empty: only accounts (and target OUs) under one of these DNs may be written. */
	allowedOus?: string[];
}

const PROTECTED_RIDS: Record<number, string> = {
	500: 'built-in administrator, RID 500',
	502: "krbtgt, the domain's Kerberos key account, RID 502",
};

/** Domain groups by RID (in any domain of the forest: Enterprise and Schema Admins live in the root). */
const PRIVILEGED_DOMAIN_GROUPS: Record<number, string> = {
	512: 'Domain Admins',
	518: 'Schema Admins',
	519: 'Enterprise Admins',
};

/** BUILTIN groups by their well-known SID. */
const PRIVILEGED_BUILTIN_GROUPS: Record<string, string> = {
	'S-1-5-32-544': 'Administrators',
	'S-1-5-32-548': 'Account Operators',
	'S-1-5-32-549': 'Server Operators',
	'S-1-5-32-550': 'Print Operators',
	'S-1-5-32-551': 'Backup Operators',
};

/** Names a new account may not take: they would pass for the built-in accounts. */
const RESERVED_NAMES = ['administrator', 'krbtgt'];

const NEVER = 'WIDIP automation never changes privileged accounts';

function refuse(operation: string, why: string): never {
	throw new WidipError('bad_request', `${operation} refused: ${why}`, { service: 'ad', operation });
}

/** The privileged groups among the token's SIDs, named for the message, in the order above (AD's order is arbitrary). */
function privilegedGroups(groupSids: string[]): string[] {
	const sids = new Set(groupSids.map((sid) => sid.trim().toUpperCase()));
	const rids = new Set([...sids].map(domainRid));
	return [
		...Object.entries(PRIVILEGED_DOMAIN_GROUPS)
			.filter(([rid]) => rids.has(Number(rid)))
			.map(([rid, name]) => `${name} (RID ${rid})`),
		...Object.entries(PRIVILEGED_BUILTIN_GROUPS)
			.filter(([sid]) => sids.has(sid))
			.map(([sid, name]) => `${name} (${sid})`),
	];
}

/** One RDN compared as AD does: attribute type and value case-insensitive, escapes undone. */
function normalRdn(rdn: string): string {
	const eq = rdn.indexOf('=');
	if (eq < 0) return rdn.trim().toLowerCase();
	return `${rdn.slice(0, eq).trim().toLowerCase()}=${unescapeRdnValue(rdn.slice(eq + 1).trim()).toLowerCase()}`;
}

function rdnsOf(dn: string): string[] {
	const rdns: string[] = [];
	for (let rest = dn.trim(); rest !== ''; rest = parentDn(rest).trim()) rdns.push(normalRdn(firstRdn(rest)));
	return rdns;
}

/** Whether `dn` is `base` or lies under it. */
export function isWithinDn(dn: string, base: string): boolean {
	const inner = rdnsOf(dn);
	const outer = rdnsOf(base);
	if (outer.length === 0 || inner.length < outer.length) return false;
	const tail = inner.slice(inner.length - outer.length);
	return tail.every((rdn, i) => rdn === outer[i]);
}

function allowedOus(settings: ProtectionSettings): string[] {
	return (settings.allowedOus ?? []).map((ou) => ou.trim()).filter((ou) => ou !== '');
}

function isDenied(sam: string, settings: ProtectionSettings): boolean {
	const lower = sam.toLowerCase();
	return (settings.protectedAccounts ?? []).some((name) => name.trim().toLowerCase() === lower);
}

function outsideAllowed(dn: string, settings: ProtectionSettings): string | null {
	const allowed = allowedOus(settings);
	if (allowed.length === 0 || allowed.some((ou) => isWithinDn(dn, ou))) return null;
	return `the OUs this credential may change (Allowed OUs: ${allowed.join('; ')})`;
}

/**
 * Throws unless WIDIP may write to this existing account: not a built-in administrator or krbtgt
 * (by RID), not in a privileged group (by SID, nested), adminCount not 1, not on the credential's
 * deny list, and under an allowed OU when the credential names some. Facts that could not be read
 * refuse too: an account is written only when it is shown not to be privileged.
 */
export function assertWritable(operation: string, facts: AccountFacts, settings: ProtectionSettings, requestedSam = facts.sam): void {
	const who = `"${facts.sam || requestedSam}"`;
	if (!facts.objectSid || domainRid(facts.objectSid) === null) {
		refuse(operation, `the objectSid of ${who} could not be read, so it cannot be shown not to be a privileged account (check the service account's read rights)`);
	}
	const rid = domainRid(facts.objectSid);
	const builtinAccount = rid === null ? undefined : PROTECTED_RIDS[rid];
	if (builtinAccount) refuse(operation, `${who} is a protected account (${builtinAccount}); ${NEVER}`);
	// AD always puts the primary group (Domain Users) in tokenGroups: empty means it was not readable.
	if (facts.groupSids.length === 0) {
		refuse(operation, `the group memberships (tokenGroups) of ${who} could not be read, so it cannot be shown not to be a privileged account (check the service account's read rights)`);
	}
	const groups = privilegedGroups(facts.groupSids);
	if (groups.length > 0) {
		const which = groups.length === 1 ? 'a privileged group' : 'privileged groups';
		refuse(operation, `${who} is a protected account (member of ${which}, directly or through nested groups: ${groups.join(', ')}); ${NEVER}`);
	}
	if (facts.adminCount === 1) {
		refuse(operation, `${who} is a protected account (adminCount=1: Active Directory protects it as a present or former member of a privileged group); ${NEVER}`);
	}
	if (isDenied(facts.sam, settings) || isDenied(requestedSam, settings)) {
		refuse(operation, `${who} is a protected account (listed in Protected Accounts of the Active Directory credential); ${NEVER}`);
	}
	const outside = outsideAllowed(facts.dn, settings);
	if (outside) refuse(operation, `${who} (${facts.dn}) is outside ${outside}`);
}

/** Throws unless the OU an account is moved to or created in is allowed by the credential. */
export function assertTargetOu(operation: string, ouDn: string, settings: ProtectionSettings): void {
	const outside = outsideAllowed(ouDn, settings);
	if (outside) refuse(operation, `the target OU ${ouDn} is outside ${outside}`);
}

/** Throws unless a new account may take this name and go into this OU. */
export function assertCreatable(operation: string, sam: string, ouDn: string, settings: ProtectionSettings): void {
	if (RESERVED_NAMES.includes(sam.toLowerCase())) {
		refuse(operation, `"${sam}" is the name of a built-in account; ${NEVER}`);
	}
	if (isDenied(sam, settings)) {
		refuse(operation, `"${sam}" is a protected account name (listed in Protected Accounts of the Active Directory credential); ${NEVER}`);
	}
	assertTargetOu(operation, ouDn, settings);
}

/** A credential field as text; a list (credential data written as a config) is taken item by item. */
function fieldText(value: unknown, separator: string): string {
	if (Array.isArray(value)) return value.map(String).join(separator);
	return typeof value === 'string' ? value : '';
}

/** The credential's deny list as typed: names separated by commas, semicolons, spaces or lines. */
export function parseAccountList(text: unknown): string[] {
	return fieldText(text, '\n')
		.split(/[\s,;]+/)
		.map((name) => name.trim())
		.filter((name) => name !== '');
}

/** The credential's OU allow-list: one DN per line (or separated by an unescaped `;`). */
export function parseOuList(text: unknown): string[] {
	return fieldText(text, '\n')
		.split(/\r?\n|(?<!\\);/)
		.map((dn) => dn.trim())
		.filter((dn) => dn !== '');
}
