/**
 * The directory the SSH test server's PowerShell stand-in answers from (ssh-server.ts writes it to
 * directory.json at start). Shaped like a real domain: groups have SIDs and are nested (Domain
 * Admins is a member of BUILTIN\Administrators, "Tier0 Helpdesk" of Domain Admins), and
 * tokenGroups is computed the way AD does it: every group reached through membership, nested,
 * plus the primary group (Domain Users) and what it is a member of.
 */

export const DOMAIN = 'DC=widip,DC=test';
export const DOMAIN_SID = 'S-1-5-21-3462345201-1310649723-767530005';

interface Group {
	sid: string;
	dn: string;
	/** Names of the groups this group is a member of. */
	memberOf: string[];
}

const domainGroup = (rid: number, dn: string, memberOf: string[] = []): Group => ({ sid: `${DOMAIN_SID}-${rid}`, dn: `${dn},${DOMAIN}`, memberOf });
const builtinGroup = (rid: number, name: string): Group => ({ sid: `S-1-5-32-${rid}`, dn: `CN=${name},CN=Builtin,${DOMAIN}`, memberOf: [] });
const DENIED_RODC = 'Denied RODC Password Replication Group';

export const GROUPS: Record<string, Group> = {
	'Domain Users': domainGroup(513, 'CN=Domain Users,CN=Users', ['Users']),
	Users: builtinGroup(545, 'Users'),
	Administrators: builtinGroup(544, 'Administrators'),
	'Backup Operators': builtinGroup(551, 'Backup Operators'),
	'Domain Admins': domainGroup(512, 'CN=Domain Admins,CN=Users', ['Administrators', DENIED_RODC]),
	'Schema Admins': domainGroup(518, 'CN=Schema Admins,CN=Users', [DENIED_RODC]),
	'Enterprise Admins': domainGroup(519, 'CN=Enterprise Admins,CN=Users', ['Administrators', DENIED_RODC]),
	[DENIED_RODC]: domainGroup(572, `CN=${DENIED_RODC},CN=Users`),
	'Tier0 Helpdesk': domainGroup(1120, 'CN=Tier0 Helpdesk,OU=Groupes', ['Domain Admins']),
	'Soignants, Les Tilleuls': domainGroup(1105, 'CN=Soignants\\, Les Tilleuls,OU=Groupes'),
	Anciens: domainGroup(1106, 'CN=Anciens,OU=Groupes'),
};

export interface StandInUser {
	displayName: string | null;
	dn: string;
	enabled: boolean;
	locked: boolean;
	title: string | null;
	department: string | null;
	mail: string | null;
	lastLogon: string | null;
	/** Group DNs as the memberOf attribute lists them (direct memberships only). */
	memberOf: string[];
	passwordLastSet: string | null;
	lockoutTime: string | null;
	objectGuid: string;
	objectSid: string;
	adminCount: number | null;
	/** tokenGroups: nested memberships and the primary group, as SIDs. */
	groupSids: string[];
	/** AD itself refuses writes (the service account has no rights on it). */
	accessDenied?: boolean;
}

type UserSpec = Omit<StandInUser, 'memberOf' | 'objectSid' | 'groupSids' | 'objectGuid'> & { rid: number; groups: string[] };

function tokenGroups(direct: string[]): string[] {
	const seen = new Set<string>();
	const visit = (name: string) => {
		if (seen.has(name)) return;
		const group = GROUPS[name];
		if (!group) throw new Error(`stand-in directory: unknown group ${name}`);
		seen.add(name);
		group.memberOf.forEach(visit);
	};
	[...direct, 'Domain Users'].forEach(visit);
	return [...seen].map((name) => GROUPS[name].sid);
}

function user(spec: UserSpec): StandInUser {
	const { rid, groups, ...rest } = spec;
	return {
		...rest,
		memberOf: groups.map((name) => GROUPS[name].dn),
		objectGuid: `6b0c4f7e-1d2a-4c3b-9e8f-${rid.toString(16).padStart(12, '0')}`,
		objectSid: `${DOMAIN_SID}-${rid}`,
		groupSids: tokenGroups(groups),
	};
}

const none = { title: null, department: null, mail: null, lastLogon: null, passwordLastSet: null, lockoutTime: null };

export const USERS: Record<string, StandInUser> = {
	'm.dubois': user({
		rid: 1107,
		displayName: 'Marie Dubois',
		dn: `CN=Marie Dubois,OU=Soignants,OU=EHPAD Les Tilleuls,${DOMAIN}`,
		enabled: true,
		locked: false,
		title: 'Infirmière coordinatrice',
		department: 'EHPAD Les Tilleuls',
		mail: 'm.dubois@widip.test',
		lastLogon: '2025-03-01T08:15:30.1234567Z',
		// listed as the seed's stand-in always did (a real memberOf omits the primary group)
		groups: ['Soignants, Les Tilleuls', 'Domain Users'],
		passwordLastSet: '2025-01-10T09:00:00.0000000Z',
		lockoutTime: null,
		adminCount: null,
	}),
	'j.martin': user({
		...none,
		rid: 1108,
		displayName: 'Jérôme Martin',
		dn: `CN=Jérôme Martin,OU=Administratif,OU=EHPAD Bellevue,${DOMAIN}`,
		enabled: true,
		locked: true,
		groups: [],
		lockoutTime: '2025-03-02T07:59:00.5000000Z',
		adminCount: null,
	}),
	'p.durand': user({
		rid: 1109,
		displayName: null,
		dn: `CN=p.durand,OU=Partis,${DOMAIN}`,
		enabled: false,
		locked: false,
		title: 'Aide-soignant',
		department: 'EHPAD Bellevue',
		mail: 'p.durand@widip.test',
		lastLogon: '2024-11-30T17:02:11.0000000Z',
		groups: ['Anciens'],
		passwordLastSet: '2024-06-01T12:00:00.0000000Z',
		lockoutTime: null,
		adminCount: null,
	}),
	// Protected: the built-in accounts (by RID), and privileged through groups or adminCount.
	Administrator: user({
		...none,
		rid: 500,
		displayName: null,
		dn: `CN=Administrator,CN=Users,${DOMAIN}`,
		enabled: true,
		locked: false,
		groups: ['Domain Admins', 'Schema Admins', 'Enterprise Admins', 'Administrators'],
		adminCount: 1,
	}),
	krbtgt: user({ ...none, rid: 502, displayName: null, dn: `CN=krbtgt,CN=Users,${DOMAIN}`, enabled: false, locked: false, groups: [DENIED_RODC], adminCount: 1 }),
	// Domain Admin only through a nested group, and not yet marked by SDProp (no adminCount).
	'adm.widip': user({ ...none, rid: 1110, displayName: 'WIDIP Admin', dn: `CN=WIDIP Admin,OU=Admins,${DOMAIN}`, enabled: true, locked: false, groups: ['Tier0 Helpdesk'], adminCount: null }),
	'b.sauvegarde': user({ ...none, rid: 1111, displayName: 'Sauvegarde', dn: `CN=Sauvegarde,OU=Prestataires,${DOMAIN}`, enabled: true, locked: false, groups: ['Backup Operators'], adminCount: null }),
	// A former administrator: no privileged group left, adminCount still 1.
	'ex.admin': user({ ...none, rid: 1112, displayName: 'Ancien Admin', dn: `CN=Ancien Admin,OU=Administratif,OU=EHPAD Bellevue,${DOMAIN}`, enabled: true, locked: false, groups: [], adminCount: 1 }),
	// Ordinary by every fact, but the service account was given no rights on it: AD refuses.
	'svc.legacy': user({ ...none, rid: 1113, displayName: 'Legacy Service', dn: `CN=Legacy Service,OU=Services,${DOMAIN}`, enabled: true, locked: false, groups: [], adminCount: null, accessDenied: true }),
};
