/** What every Active Directory backend (LDAPS, PowerShell over SSH) can do, in AD's own terms. */
export interface AdUserStatus {
	exists: true;
	sAMAccountName: string;
	displayName: string;
	distinguishedName: string;
	enabled: boolean;
	locked: boolean;
}

export interface AdUserInfo extends AdUserStatus {
	title: string;
	department: string;
	mail: string;
	/** ISO time, or null when the account never logged on. */
	lastLogon: string | null;
	/** Group names (CN), not DNs. */
	groups: string[];
	/** ISO time, or null when the password must be changed at next logon. */
	passwordLastSet: string | null;
	/** ISO time of the lockout, or null. */
	lockoutTime: string | null;
}

export interface NewAdUser {
	sAMAccountName: string;
	givenName: string;
	surname: string;
	displayName?: string;
	mail?: string;
	title?: string;
	department?: string;
	/** DN of the OU to create the account in (must exist). */
	ouDn: string;
	password: string;
	enabled: boolean;
	mustChangePassword: boolean;
}

/**
 * One interface, two backends. Every method takes a sAMAccountName that the caller has already
 * validated (see sam.ts); backends still treat it as data only (filter objects / JSON on stdin).
 * Failures are WidipError: auth (service account refused), not_found (no such user), bad_request
 * (policy refusal, with the rule), unavailable / timeout (DC unreachable, TLS failure).
 */
export interface AdBackend {
	readonly kind: 'ldaps' | 'ssh';
	/** Connects and authenticates the service account (credential test). */
	verify(): Promise<void>;
	/** null when no such user. */
	checkUser(sam: string): Promise<AdUserStatus | null>;
	getUserInfo(sam: string): Promise<AdUserInfo>;
	resetPassword(sam: string, newPassword: string, mustChangeAtNextLogon: boolean): Promise<void>;
	unlock(sam: string): Promise<void>;
	setEnabled(sam: string, enabled: boolean): Promise<void>;
	/** Returns the account's new DN. */
	moveToOu(sam: string, targetOuDn: string): Promise<string>;
	/** Returns the new account's DN. */
	createUser(user: NewAdUser): Promise<string>;
	deleteUser(sam: string): Promise<void>;
	close(): Promise<void>;
}
