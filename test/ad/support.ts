import { randomBytes } from 'node:crypto';

import { Attribute, Change, Client, EqualityFilter } from 'ldapts';

import type { LdapsConfig } from '../../core/ad/config';
import { escapeRdnValue } from '../../core/ad/ldap-dn';
import { bindFailure } from '../../core/ad/ldap-errors';
import type { WidipError } from '../../core/errors';
import { ensureDc, type SambaDc } from '../support/samba-dc';

export { ensureDc, type SambaDc };

/** A fresh name no other test (or earlier run) uses: `t` + 10 hex digits, a valid sAMAccountName. */
export function uniqueName(prefix = 't'): string {
	return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** A password that meets the domain's default policy (length ≥ 7, complexity). */
export function knownPassword(): string {
	return `Kp-${randomBytes(6).toString('hex')}-Zq7!`;
}

/** Config of the LDAPS backend as the tests use it: Administrator as the service account. */
export function ldapsConfig(dc: SambaDc, extra: Partial<LdapsConfig> = {}): LdapsConfig {
	return {
		backend: 'ldaps',
		url: dc.url,
		startTls: false,
		bindDn: dc.adminUpn,
		bindPassword: dc.adminPassword,
		baseDn: dc.baseDn,
		caCert: dc.caPem,
		tlsServerName: dc.tlsServerName,
		allowUnverifiedTls: false,
		timeoutMs: 10_000,
		...extra,
	};
}

function tlsOptions(dc: SambaDc) {
	return { ca: [dc.caPem], servername: dc.tlsServerName, minVersion: 'TLSv1.2' as const };
}

/** An Administrator connection of the test itself, independent of the code under test. */
export async function adminClient(dc: SambaDc): Promise<Client> {
	const client = new Client({ url: dc.url, tlsOptions: tlsOptions(dc), timeout: 10_000, connectTimeout: 10_000 });
	await client.bind(dc.adminUpn, dc.adminPassword);
	return client;
}

/**
 * Binds as an account with a password, on a connection of its own: `ok`, or AD's reason code
 * (`52e` wrong password, `533` disabled, `773` must change, `775` locked out).
 */
export async function userBind(dc: SambaDc, who: string, password: string): Promise<string> {
	const client = new Client({ url: dc.url, tlsOptions: tlsOptions(dc), timeout: 10_000, connectTimeout: 10_000 });
	const error = await client.bind(who, password).then(
		() => undefined,
		(failed: unknown) => failed,
	);
	await client.unbind().catch(() => undefined);
	if (error === undefined) return 'ok';
	const failure = bindFailure(error);
	if (!failure) throw error;
	return failure.code ?? 'invalid';
}

export function upn(dc: SambaDc, sam: string): string {
	return `${sam}@${dc.upnSuffix}`;
}

/** Makes an OU (under `parent`, default the domain) for one test file. */
export async function createOu(admin: Client, parent: string, name = uniqueName('widip-test-')): Promise<string> {
	const dn = `OU=${name},${parent}`;
	await admin.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: name });
	return dn;
}

/** Deletes a subtree, deepest entries first (the test's clean-up). */
export async function removeTree(admin: Client, dn: string): Promise<void> {
	let entries: string[];
	try {
		entries = (await admin.search(dn, { scope: 'sub', attributes: ['1.1'] })).searchEntries.map((entry) => entry.dn);
	} catch {
		return;
	}
	entries.sort((a, b) => b.split(',').length - a.split(',').length);
	for (const entry of entries) await admin.del(entry).catch(() => undefined);
}

export interface TestUser {
	sam: string;
	dn: string;
	upn: string;
	password: string;
}

/**
 * An enabled account with a known password, made with plain LDAP by Administrator (not by the code
 * under test), in `ou`.
 */
export async function makeUser(
	admin: Client,
	dc: SambaDc,
	ou: string,
	/** `cn`: the plain name (escaped here), e.g. `Dubois, Marie`. */
	options: { sam?: string; cn?: string; title?: string; department?: string; mail?: string } = {},
): Promise<TestUser> {
	const sam = options.sam ?? uniqueName();
	const cn = options.cn ?? `Test ${sam}`;
	const dn = `CN=${escapeRdnValue(cn)},${ou}`;
	const password = knownPassword();
	await admin.add(dn, {
		objectClass: ['top', 'person', 'organizationalPerson', 'user'],
		sAMAccountName: sam,
		userPrincipalName: upn(dc, sam),
		givenName: 'Test',
		sn: sam,
		displayName: cn,
		userAccountControl: '514',
		...(options.title ? { title: options.title } : {}),
		...(options.department ? { department: options.department } : {}),
		...(options.mail ? { mail: options.mail } : {}),
	});
	await admin.modify(dn, [
		new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [Buffer.from(`"${password}"`, 'utf16le')] }) }),
	]);
	await admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: ['512'] }) }));
	return { sam, dn, upn: upn(dc, sam), password };
}

/** What the directory itself holds for an account (Administrator's view), or null. */
export async function lookup(admin: Client, dc: SambaDc, sam: string, attributes: string[] = ['*']): Promise<Record<string, unknown> | null> {
	const { searchEntries } = await admin.search(dc.baseDn, {
		scope: 'sub',
		filter: new EqualityFilter({ attribute: 'sAMAccountName', value: sam }),
		attributes,
	});
	return searchEntries[0] ?? null;
}

/** Every account of the domain (for "nothing else was touched" checks). */
export async function allAccountNames(admin: Client, dc: SambaDc): Promise<string[]> {
	const { searchEntries } = await admin.search(dc.baseDn, { scope: 'sub', filter: '(&(objectCategory=person)(objectClass=user))', attributes: ['sAMAccountName'] });
	return searchEntries.map((entry) => String(entry.sAMAccountName)).sort();
}

/** GETs a MySecret link and returns the secret it reveals. */
export async function reveal(url: string): Promise<string> {
	const response = await fetch(url);
	if (response.status !== 200) throw new Error(`link ${url} answered ${response.status}`);
	return ((await response.json()) as { secret: string }).secret;
}

export async function rejection(promise: Promise<unknown>): Promise<WidipError> {
	try {
		await promise;
	} catch (error) {
		return error as WidipError;
	}
	throw new Error('expected the call to fail');
}
