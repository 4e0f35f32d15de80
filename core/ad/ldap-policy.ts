import { adDurationToMs, describeDuration } from './ldap-time';

/**
 * The password and lockout rules that apply to one account: the domain's (attributes of the domain
 * object) or, when a fine-grained password policy applies, its password settings object (PSO,
 * `msDS-ResultantPSO` of the user).
 */
export interface PasswordPolicy {
	/** `the domain` or `password settings object "NAME"`: who set the rule, for messages. */
	source: string;
	minLength: number;
	complexity: boolean;
	historyLength: number;
	minAgeMs: number;
	lockoutThreshold: number;
	/** null when unknown; 0 or Infinity: locked until an administrator unlocks. */
	lockoutDurationMs: number | null;
}

type Attrs = Record<string, unknown>;

function text(entry: Attrs, name: string): string | undefined {
	const value = entry[name];
	if (Array.isArray(value)) return value.length > 0 ? String(value[0]) : undefined;
	return value === undefined || value === null ? undefined : String(value);
}

function int(entry: Attrs, name: string, fallback = 0): number {
	const value = Number(text(entry, name));
	return Number.isFinite(value) ? value : fallback;
}

/** Attributes of the domain object read for the policy. */
export const DOMAIN_POLICY_ATTRIBUTES = ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge', 'lockoutThreshold', 'lockoutDuration'];

/** Attributes of a PSO (msDS-PasswordSettings) read for the policy. */
export const PSO_ATTRIBUTES = [
	'cn',
	'msDS-MinimumPasswordLength',
	'msDS-PasswordComplexityEnabled',
	'msDS-PasswordHistoryLength',
	'msDS-MinimumPasswordAge',
	'msDS-LockoutThreshold',
	'msDS-LockoutDuration',
];

export function policyFromDomain(entry: Attrs): PasswordPolicy {
	return {
		source: 'the domain',
		minLength: int(entry, 'minPwdLength'),
		complexity: (int(entry, 'pwdProperties') & 1) === 1, // DOMAIN_PASSWORD_COMPLEX
		historyLength: int(entry, 'pwdHistoryLength'),
		minAgeMs: adDurationToMs(text(entry, 'minPwdAge')) ?? 0,
		lockoutThreshold: int(entry, 'lockoutThreshold'),
		lockoutDurationMs: adDurationToMs(text(entry, 'lockoutDuration')),
	};
}

export function policyFromPso(entry: Attrs): PasswordPolicy {
	return {
		source: `password settings object "${text(entry, 'cn') ?? '?'}"`,
		minLength: int(entry, 'msDS-MinimumPasswordLength'),
		complexity: /^true$/i.test(text(entry, 'msDS-PasswordComplexityEnabled') ?? ''),
		historyLength: int(entry, 'msDS-PasswordHistoryLength'),
		minAgeMs: adDurationToMs(text(entry, 'msDS-MinimumPasswordAge')) ?? 0,
		lockoutThreshold: int(entry, 'msDS-LockoutThreshold'),
		lockoutDurationMs: adDurationToMs(text(entry, 'msDS-LockoutDuration')),
	};
}

/**
 * AD's complexity rule: at least three of five kinds of characters (capitals, small letters, digits,
 * symbols, other letters), and neither the account name nor any 3+ character part of the display
 * name (case-insensitive). Returns what is wrong, or null.
 */
export function complexityProblem(password: string, account: { sAMAccountName: string; displayName?: string }): string | null {
	const lower = password.toLowerCase();
	const sam = account.sAMAccountName.toLowerCase();
	if (sam.length >= 3 && lower.includes(sam)) return 'it contains the account name';
	const tokens = (account.displayName ?? '').split(/[,.\-_ #\t]+/).filter((token) => token.length >= 3);
	if (tokens.some((token) => lower.includes(token.toLowerCase()))) return 'it contains part of the display name';
	const kinds = [/\p{Lu}/u, /\p{Ll}/u, /\p{Nd}/u, /[^\p{L}\p{N}]/u, /[\p{Lo}\p{Lm}]/u].filter((kind) => kind.test(password)).length;
	if (kinds < 3) return `it uses ${kinds} of the kinds of characters (capitals, small letters, digits, symbols) where 3 are required`;
	return null;
}

/**
 * Which rule a password refused by AD (constraintViolation 0000052D) breaks, in words. Length and
 * complexity are checked here; history and minimum age depend on state only AD knows, so when the
 * password passes both checks the message names those that are in force.
 */
export function explainPasswordRefusal(password: string, policy: PasswordPolicy, account: { sAMAccountName: string; displayName?: string }): string {
	const by = policy.source === 'the domain' ? 'the domain' : `the ${policy.source}`;
	const length = [...password].length;
	if (length < policy.minLength) {
		const minimum = by === 'the domain' ? `the domain minimum of ${policy.minLength} characters` : `the minimum of ${policy.minLength} characters set by ${by}`;
		return `the password is too short for ${minimum} (it has ${length})`;
	}
	if (policy.complexity) {
		const problem = complexityProblem(password, account);
		if (problem) return `the password does not meet the complexity rule of ${by}: ${problem}`;
	}
	const others: string[] = [];
	if (policy.historyLength > 0) others.push(`the history rule (none of the last ${policy.historyLength} passwords may be reused)`);
	if (policy.minAgeMs > 0) others.push(`the minimum age rule (${describeDuration(policy.minAgeMs)} between changes)`);
	if (others.length > 0) {
		return `the password meets the length (${policy.minLength}) and complexity rules of ${by}, so it breaks ${others.join(' or ')}`;
	}
	return `the password meets every rule of ${by} we can read (length ${policy.minLength}, complexity ${policy.complexity ? 'on' : 'off'}, no history, no minimum age): AD gave no further reason`;
}
