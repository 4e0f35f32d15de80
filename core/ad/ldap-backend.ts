import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';

import { AndFilter, Attribute, Change, Client, EqualityFilter, OrFilter, ResultCodeError, type Entry, type Filter } from 'ldapts';

import { WidipError } from '../errors';
import { silentLogger, type Logger } from '../logger';
import type { LdapsConfig } from './config';
import { dnsDomainOf, escapeRdnValue, firstRdn, parentDn, rdnValue, sameDn } from './ldap-dn';
import { adErrorCode, ldapError, type LdapErrorContext } from './ldap-errors';
import { DOMAIN_POLICY_ATTRIBUTES, explainPasswordRefusal, policyFromDomain, policyFromPso, PSO_ATTRIBUTES, type PasswordPolicy } from './ldap-policy';
import { fileTimeToIso, fileTimeToMs, isLockedOut } from './ldap-time';
import { assertCreatable, assertTargetOu, assertWritable, type AccountFacts } from './protected';
import { sidToString } from './sid';
import type { AdBackend, AdUserInfo, AdUserStatus, NewAdUser } from './types';

/** userAccountControl bits. */
const UF_ACCOUNTDISABLE = 0x2;
const UF_NORMAL_ACCOUNT = 0x200;

/** How long the domain's naming context and policy are reused before being read again. */
const DOMAIN_CACHE_MS = 5 * 60_000;

/** Control characters anywhere, or whitespace at either end. */
// eslint-disable-next-line no-control-regex
const UNSAFE_NAME = /[\u0000-\u001f\u007f]|^\s|\s$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const STATUS_ATTRIBUTES = ['sAMAccountName', 'displayName', 'userAccountControl', 'lockoutTime', 'msDS-ResultantPSO'];
const INFO_ATTRIBUTES = [...STATUS_ATTRIBUTES, 'title', 'department', 'mail', 'lastLogonTimestamp', 'lastLogon', 'memberOf', 'pwdLastSet'];

function first(entry: Entry, name: string): string | undefined {
	const value = entry[name];
	const one = Array.isArray(value) ? value[0] : value;
	if (one === undefined) return undefined;
	return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

function all(entry: Entry, name: string): string[] {
	const value = entry[name];
	if (value === undefined) return [];
	return (Array.isArray(value) ? value : [value]).map((one) => (Buffer.isBuffer(one) ? one.toString('utf8') : String(one)));
}

/**
 * `(&(objectCategory=person)(objectClass=user)(sAMAccountName=<sam>))` as a filter object: the
 * account name is BER-encoded as a plain value, never parsed as filter syntax, so `*`, `)(` or a NUL
 * byte mean nothing but themselves.
 */
export function userFilter(sam: string): Filter {
	return new AndFilter({
		filters: [
			new EqualityFilter({ attribute: 'objectCategory', value: 'person' }),
			new EqualityFilter({ attribute: 'objectClass', value: 'user' }),
			new EqualityFilter({ attribute: 'sAMAccountName', value: sam }),
		],
	});
}

/** AD's password format: the new password in double quotes, UTF-16LE. */
export function unicodePwd(password: string): Buffer {
	return Buffer.from(`"${password}"`, 'utf16le');
}

function withDeadline<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(onTimeout()), ms);
	});
	return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Node silently ignores a CA it cannot parse (and then trusts nothing): say so up front instead. */
function checkCaPem(operation: string, pem: string): void {
	const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
	const problem = blocks.length === 0 ? 'no PEM certificate block (-----BEGIN CERTIFICATE-----) in it' : undefined;
	let reason = problem;
	for (const block of blocks) {
		try {
			new X509Certificate(block);
		} catch (error) {
			reason = `a certificate in it cannot be read (${String((error as Error).message).split('\n')[0]})`;
			break;
		}
	}
	if (reason) {
		throw new WidipError('bad_request', `${operation}: TLS: the CA certificate of the credential cannot be used: ${reason}`, { service: 'ad', operation });
	}
}

interface DomainInfo {
	at: number;
	namingContext: string;
	policy: PasswordPolicy;
}

/**
 * Active Directory over LDAPS (or StartTLS) with ldapts: one connection per backend, bound as the
 * service account, opened on first use and reopened when the DC closed it. Accounts are always found
 * by a subtree search under the base DN with filter objects; every DN we act on comes from a search
 * result. Failures become WidipError with the operation named and no password in them.
 */
export class LdapBackend implements AdBackend {
	readonly kind = 'ldaps' as const;
	private client?: Client;
	private opening?: Promise<Client>;
	private domainInfo?: DomainInfo;
	private readonly host: string;
	private readonly secureUrl: boolean;

	constructor(
		readonly config: LdapsConfig,
		readonly logger: Logger = silentLogger,
	) {
		let url: URL | undefined;
		try {
			url = new URL(config.url);
		} catch {
			url = undefined; // open() says so, as a WidipError
		}
		this.host = url?.hostname.replace(/^\[(.*)\]$/, '$1') ?? '';
		this.secureUrl = url?.protocol === 'ldaps:';
	}

	private context(operation: string, phase: LdapErrorContext['phase'], extra: Partial<LdapErrorContext> = {}): LdapErrorContext {
		return {
			operation,
			url: this.config.url,
			timeoutMs: this.config.timeoutMs,
			phase,
			bindDn: this.config.bindDn,
			tlsServerName: this.config.tlsServerName,
			...extra,
			secrets: [this.config.bindPassword, ...(extra.secrets ?? [])],
		};
	}

	private tlsOptions(): ConnectionOptions {
		const servername = this.config.tlsServerName ?? (isIP(this.host) ? undefined : this.host);
		return {
			...(this.config.caCert ? { ca: [this.config.caCert] } : {}),
			...(servername ? { servername } : {}),
			minVersion: 'TLSv1.2',
			rejectUnauthorized: !this.config.allowUnverifiedTls,
		};
	}

	/** The bound connection, opened when there is none (or the DC closed it). */
	private async connection(operation: string): Promise<Client> {
		if (this.client?.isBound) return this.client;
		if (!this.opening) {
			this.opening = this.open(operation).finally(() => {
				this.opening = undefined;
			});
		}
		return await this.opening;
	}

	private async open(operation: string): Promise<Client> {
		if (!this.host) {
			throw new WidipError('bad_request', `${operation}: the LDAP URL "${this.config.url}" is not valid (expected ldaps://host:636)`, { service: 'ad', operation });
		}
		if (!this.secureUrl && !this.config.startTls) {
			throw new WidipError(
				'bad_request',
				`${operation}: ${this.config.url} is plain LDAP: the service password would cross the network in clear; use ldaps:// or turn on StartTLS`,
				{ service: 'ad', operation },
			);
		}
		if (this.config.caCert && !this.config.allowUnverifiedTls) checkCaPem(operation, this.config.caCert);
		if (this.config.allowUnverifiedTls) {
			this.logger.warn(
				`ad: TLS certificate verification is OFF for ${this.config.url} (allowUnverifiedTls): anyone between n8n and the DC can impersonate it and read the passwords sent`,
			);
		}
		const previous = this.client;
		this.client = undefined;
		if (previous) await previous.unbind().catch(() => undefined);
		const timeoutMs = this.config.timeoutMs;
		const client = new Client({
			url: this.config.url,
			timeout: timeoutMs,
			connectTimeout: timeoutMs,
			...(this.secureUrl ? { tlsOptions: this.tlsOptions() } : {}),
		});
		const started = Date.now();
		try {
			if (!this.secureUrl) {
				await withDeadline(client.startTLS(this.tlsOptions()), timeoutMs, () => new Error('Connection timeout'));
			}
			await client.bind(this.config.bindDn, this.config.bindPassword);
		} catch (error) {
			await client.unbind().catch(() => undefined);
			throw ldapError(error, this.context(operation, 'connect'));
		}
		this.logger.debug(`ad: connected to ${this.config.url}${this.secureUrl ? '' : ' (StartTLS)'} as ${this.config.bindDn} in ${Date.now() - started} ms`);
		this.client = client;
		return client;
	}

	/** Runs one operation's requests on the bound connection; every failure becomes a WidipError. */
	private async run<T>(operation: string, write: boolean, work: (client: Client) => Promise<T>, secrets: string[] = []): Promise<T> {
		const client = await this.connection(operation);
		const started = Date.now();
		try {
			const result = await work(client);
			this.logger.debug(`ad: ${operation} done in ${Date.now() - started} ms`);
			return result;
		} catch (error) {
			if (!client.isConnected && this.client === client) this.client = undefined;
			throw ldapError(error, this.context(operation, 'request', { write, secrets }));
		}
	}

	private notFound(operation: string, sam: string): WidipError {
		return new WidipError('not_found', `${operation}: no Active Directory account named "${sam}" under ${this.config.baseDn}`, {
			service: 'ad',
			operation,
		});
	}

	/** The one search that finds an account: subtree under the base DN, filter object, references ignored. */
	private async findUser(client: Client, operation: string, sam: string, attributes: string[]): Promise<Entry | null> {
		if (typeof sam !== 'string' || sam.length === 0 || sam.length > 256) {
			throw new WidipError('bad_request', `${operation}: invalid account name`, { service: 'ad', operation });
		}
		// Even as a filter-object value these are not harmless: Samba cuts a value at a NUL byte
		// ("Administrator\0" finds Administrator), and LDAP matching ignores surrounding spaces.
		if (UNSAFE_NAME.test(sam)) {
			throw new WidipError('bad_request', `${operation}: invalid account name: control characters and leading or trailing spaces are not allowed`, {
				service: 'ad',
				operation,
			});
		}
		let entries: Entry[];
		try {
			({ searchEntries: entries } = await client.search(this.config.baseDn, { scope: 'sub', filter: userFilter(sam), attributes }));
		} catch (error) {
			if (error instanceof ResultCodeError && error.code === 32) {
				throw new WidipError('bad_request', `${operation}: the search base ${this.config.baseDn} does not exist in Active Directory (check the Base DN of the credential)`, {
					service: 'ad',
					operation,
				});
			}
			throw error;
		}
		if (entries.length > 1) {
			throw new WidipError('conflict', `${operation}: ${entries.length} accounts match "${sam}" under ${this.config.baseDn}; expected one`, { service: 'ad', operation });
		}
		return entries[0] ?? null;
	}

	private async requireUser(client: Client, operation: string, sam: string, attributes: string[]): Promise<Entry> {
		const entry = await this.findUser(client, operation, sam, attributes);
		if (!entry) throw this.notFound(operation, sam);
		return entry;
	}

	/** What protected.ts decides on, read from the account itself (tokenGroups exists only in a base search). */
	private async protectionFacts(client: Client, user: Entry): Promise<AccountFacts> {
		const { searchEntries } = await client.search(user.dn, {
			scope: 'base',
			attributes: ['sAMAccountName', 'objectSid', 'adminCount', 'tokenGroups'],
			explicitBufferAttributes: ['objectSid', 'tokenGroups'],
		});
		const entry = searchEntries[0] ?? { dn: user.dn };
		const buffers = (name: string) => {
			const value = entry[name];
			return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((one): one is Buffer => Buffer.isBuffer(one));
		};
		const adminCount = first(entry, 'adminCount');
		return {
			sam: first(entry, 'sAMAccountName') ?? '',
			dn: entry.dn,
			objectSid: buffers('objectSid').map(sidToString)[0] ?? null,
			adminCount: adminCount === undefined ? null : Number(adminCount),
			groupSids: buffers('tokenGroups')
				.map(sidToString)
				.filter((sid): sid is string => sid !== null),
		};
	}

	/** The account, once protected.ts agreed that WIDIP may write to it. */
	private async requireWritableUser(client: Client, operation: string, sam: string, attributes: string[]): Promise<Entry> {
		const user = await this.requireUser(client, operation, sam, attributes);
		assertWritable(operation, await this.protectionFacts(client, user), this.config, sam);
		return user;
	}

	/** The domain's naming context and password/lockout policy (rootDSE, then the domain object). */
	private async domain(client: Client, fresh = false): Promise<DomainInfo> {
		if (!fresh && this.domainInfo && Date.now() - this.domainInfo.at < DOMAIN_CACHE_MS) return this.domainInfo;
		const root = await client.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
		const namingContext = root.searchEntries[0] ? first(root.searchEntries[0], 'defaultNamingContext') : undefined;
		if (!namingContext) throw new Error('the DC did not tell its defaultNamingContext (rootDSE)');
		const domain = await client.search(namingContext, { scope: 'base', attributes: DOMAIN_POLICY_ATTRIBUTES });
		this.domainInfo = { at: Date.now(), namingContext, policy: policyFromDomain(domain.searchEntries[0] ?? { dn: namingContext }) };
		return this.domainInfo;
	}

	/** The policy that applies to one account: its resultant PSO when it has one we can read, else the domain's. */
	private async policyFor(client: Client, user: Entry, fresh = false): Promise<PasswordPolicy> {
		const pso = first(user, 'msDS-ResultantPSO');
		if (pso) {
			try {
				const found = await client.search(pso, { scope: 'base', attributes: PSO_ATTRIBUTES });
				if (found.searchEntries[0]) return policyFromPso(found.searchEntries[0]);
			} catch {
				// not readable by the service account: the domain policy is the best we know
			}
		}
		return (await this.domain(client, fresh)).policy;
	}

	private async status(client: Client, entry: Entry): Promise<AdUserStatus> {
		const uac = Number(first(entry, 'userAccountControl') ?? 0);
		const lockoutTime = first(entry, 'lockoutTime');
		// only a lockout that happened needs the policy's duration
		const locked = fileTimeToMs(lockoutTime) !== null && isLockedOut(lockoutTime, (await this.policyFor(client, entry)).lockoutDurationMs);
		return {
			exists: true,
			sAMAccountName: first(entry, 'sAMAccountName') ?? '',
			displayName: first(entry, 'displayName') ?? '',
			distinguishedName: entry.dn,
			enabled: (uac & UF_ACCOUNTDISABLE) === 0,
			locked,
		};
	}

	async verify(): Promise<void> {
		const operation = 'ad.verify';
		// a fresh connection: the credential test must prove this password works now
		if (this.client) {
			const previous = this.client;
			this.client = undefined;
			await previous.unbind().catch(() => undefined);
		}
		await this.run(operation, false, async (client) => {
			try {
				await client.search(this.config.baseDn, { scope: 'base', attributes: ['distinguishedName'] });
			} catch (error) {
				if (error instanceof ResultCodeError && error.code === 32) {
					throw new WidipError('bad_request', `${operation}: the service account works, but the base DN ${this.config.baseDn} does not exist`, { service: 'ad', operation });
				}
				throw error;
			}
		});
	}

	async checkUser(sam: string): Promise<AdUserStatus | null> {
		return await this.run('ad.check_user', false, async (client) => {
			const entry = await this.findUser(client, 'ad.check_user', sam, STATUS_ATTRIBUTES);
			return entry ? await this.status(client, entry) : null;
		});
	}

	async getUserInfo(sam: string): Promise<AdUserInfo> {
		const operation = 'ad.get_user_info';
		return await this.run(operation, false, async (client) => {
			const entry = await this.requireUser(client, operation, sam, INFO_ATTRIBUTES);
			const logons = [fileTimeToMs(first(entry, 'lastLogonTimestamp')), fileTimeToMs(first(entry, 'lastLogon'))].filter((ms): ms is number => ms !== null);
			return {
				...(await this.status(client, entry)),
				title: first(entry, 'title') ?? '',
				department: first(entry, 'department') ?? '',
				mail: first(entry, 'mail') ?? '',
				lastLogon: logons.length > 0 ? new Date(Math.max(...logons)).toISOString() : null,
				groups: all(entry, 'memberOf').map(rdnValue),
				passwordLastSet: fileTimeToIso(first(entry, 'pwdLastSet')),
				lockoutTime: fileTimeToIso(first(entry, 'lockoutTime')),
			};
		});
	}

	/** Replaces the password; a policy refusal names the rule the password breaks. */
	private async setPassword(client: Client, operation: string, user: Entry, password: string, mustChange: boolean): Promise<void> {
		const changes = [new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) })];
		if (mustChange) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }));
		try {
			await client.modify(user.dn, changes);
		} catch (error) {
			if (error instanceof ResultCodeError && error.code === 19) {
				const sam = first(user, 'sAMAccountName') ?? '';
				const policy = await this.policyFor(client, user, true).catch(() => undefined);
				const rule = policy
					? explainPasswordRefusal(password, policy, { sAMAccountName: sam, displayName: first(user, 'displayName') })
					: 'the password breaks the password policy (the policy could not be read to say which rule)';
				throw new WidipError('bad_request', `${operation}: Active Directory refused the new password of ${sam}: ${rule} (AD ${adErrorCode(error) ?? 'constraint violation'})`, {
					service: 'ad',
					operation,
				});
			}
			throw error;
		}
	}

	async resetPassword(sam: string, newPassword: string, mustChangeAtNextLogon: boolean): Promise<void> {
		const operation = 'ad.reset_password';
		await this.run(
			operation,
			true,
			async (client) => {
				const user = await this.requireWritableUser(client, operation, sam, ['sAMAccountName', 'displayName', 'msDS-ResultantPSO']);
				await this.setPassword(client, operation, user, newPassword, mustChangeAtNextLogon);
			},
			[newPassword],
		);
	}

	async unlock(sam: string): Promise<void> {
		const operation = 'ad.unlock_account';
		await this.run(operation, true, async (client) => {
			const user = await this.requireWritableUser(client, operation, sam, ['lockoutTime']);
			// 0 also resets badPwdCount (MS-SAMR)
			await client.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) }));
		});
	}

	async setEnabled(sam: string, enabled: boolean): Promise<void> {
		const operation = enabled ? 'ad.enable_account' : 'ad.disable_account';
		await this.run(operation, true, async (client) => {
			const user = await this.requireWritableUser(client, operation, sam, ['userAccountControl']);
			const uac = Number(first(user, 'userAccountControl') ?? UF_NORMAL_ACCOUNT);
			const next = enabled ? uac & ~UF_ACCOUNTDISABLE : uac | UF_ACCOUNTDISABLE;
			if (next === uac) return;
			await client.modify(user.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(next)] }) }));
		});
	}

	/** The OU (or container) as the directory names it; not_found when it does not exist. */
	private async findOu(client: Client, operation: string, ouDn: string): Promise<string> {
		if (typeof ouDn !== 'string' || ouDn.length === 0 || CONTROL_CHARACTER.test(ouDn)) {
			throw new WidipError('bad_request', `${operation}: invalid OU DN`, { service: 'ad', operation });
		}
		let entries: Entry[];
		try {
			({ searchEntries: entries } = await client.search(ouDn, {
				scope: 'base',
				filter: new OrFilter({
					filters: [new EqualityFilter({ attribute: 'objectClass', value: 'organizationalUnit' }), new EqualityFilter({ attribute: 'objectClass', value: 'container' })],
				}),
				attributes: ['distinguishedName'],
			}));
		} catch (error) {
			if (error instanceof ResultCodeError && (error.code === 32 || error.code === 34)) {
				throw new WidipError('not_found', `${operation}: the OU ${ouDn} does not exist in Active Directory`, { service: 'ad', operation });
			}
			throw error;
		}
		if (!entries[0]) throw new WidipError('bad_request', `${operation}: ${ouDn} is not an organisational unit or container`, { service: 'ad', operation });
		return entries[0].dn;
	}

	async moveToOu(sam: string, targetOuDn: string): Promise<string> {
		const operation = 'ad.move_to_ou';
		return await this.run(operation, true, async (client) => {
			const user = await this.requireWritableUser(client, operation, sam, ['sAMAccountName']);
			const ou = await this.findOu(client, operation, targetOuDn);
			assertTargetOu(operation, ou, this.config);
			if (sameDn(parentDn(user.dn), ou)) return user.dn;
			await client.modifyDN(user.dn, `${firstRdn(user.dn)},${ou}`);
			return (await this.requireUser(client, operation, sam, ['sAMAccountName'])).dn;
		});
	}

	async createUser(user: NewAdUser): Promise<string> {
		const operation = 'ad.create_user';
		return await this.run(
			operation,
			true,
			async (client) => {
				assertCreatable(operation, user.sAMAccountName, user.ouDn, this.config);
				const existing = await this.findUser(client, operation, user.sAMAccountName, ['sAMAccountName']);
				if (existing) {
					throw new WidipError('conflict', `${operation}: an account named "${user.sAMAccountName}" already exists (${existing.dn})`, { service: 'ad', operation });
				}
				const ou = await this.findOu(client, operation, user.ouDn);
				const { namingContext } = await this.domain(client);
				const displayName = user.displayName ?? `${user.givenName} ${user.surname}`;
				const attributes: Record<string, string | string[]> = {
					objectClass: ['top', 'person', 'organizationalPerson', 'user'],
					sAMAccountName: user.sAMAccountName,
					userPrincipalName: `${user.sAMAccountName}@${dnsDomainOf(namingContext)}`,
					givenName: user.givenName,
					sn: user.surname,
					displayName,
					// disabled until it has a password
					userAccountControl: String(UF_NORMAL_ACCOUNT | UF_ACCOUNTDISABLE),
				};
				if (user.mail) attributes.mail = user.mail;
				if (user.title) attributes.title = user.title;
				if (user.department) attributes.department = user.department;

				const cn = [...displayName].slice(0, 64).join('').trim() || user.sAMAccountName;
				let dn = `CN=${escapeRdnValue(cn)},${ou}`;
				try {
					await client.add(dn, attributes);
				} catch (error) {
					if (!(error instanceof ResultCodeError && error.code === 68)) throw error;
					// a namesake in the same OU: the account name makes the CN unique
					dn = `CN=${escapeRdnValue(`${[...cn].slice(0, 40).join('').trim()} (${user.sAMAccountName})`)},${ou}`;
					await client.add(dn, attributes);
				}
				try {
					const created = await this.requireUser(client, operation, user.sAMAccountName, ['sAMAccountName', 'displayName', 'msDS-ResultantPSO']);
					await this.setPassword(client, operation, created, user.password, false);
					const changes: Change[] = [];
					if (user.enabled) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(UF_NORMAL_ACCOUNT)] }) }));
					if (user.mustChangePassword) changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdLastSet', values: ['0'] }) }));
					if (changes.length > 0) await client.modify(created.dn, changes);
					return created.dn;
				} catch (error) {
					// no half-made account left behind (no password, or not in the state asked)
					await client.del(dn).catch(() => undefined);
					throw error;
				}
			},
			[user.password],
		);
	}

	async deleteUser(sam: string): Promise<void> {
		const operation = 'ad.delete_user';
		await this.run(operation, true, async (client) => {
			const user = await this.requireWritableUser(client, operation, sam, ['sAMAccountName']);
			await client.del(user.dn);
		});
	}

	async close(): Promise<void> {
		const client = this.client;
		this.client = undefined;
		if (client) await client.unbind().catch(() => undefined);
	}
}
