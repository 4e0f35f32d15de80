import { z } from 'zod/v4';

import { defineOperation } from '../catalogue/operation';
import { OU_DN_PATTERN, SAM_PATTERN } from './sam';

const sam = z
	.string()
	.regex(SAM_PATTERN, 'use 1–20 letters, digits, . _ - (an AD sAMAccountName)')
	.describe('Windows logon name (sAMAccountName), e.g. "m.dubois"')
	.meta({ title: 'Account Name' });

const ouDn = z
	.string()
	.regex(OU_DN_PATTERN, 'expected a plain OU DN such as OU=Soignants,OU=EHPAD Bellevue,DC=widip,DC=test')
	.describe('Distinguished name of the target organisational unit')
	.meta({ title: 'Target OU' });

const delivery = {
	delivery: z
		.enum(['link', 'return'])
		.default('link')
		.describe('"link" (default): the password leaves only as a one-time MySecret link and never appears in any output. "return" puts the password itself in the output: only for workflows a person built and guards.')
		.meta({ title: 'Deliver Password As', labels: { link: 'One-Time Link (MySecret)', return: 'Plain Password in Output (Unsafe)' } }),
	length: z.number().int().min(12).max(64).default(16).describe('Length of the generated password').meta({ title: 'Password Length' }),
	linkExpireAfterDays: z.number().int().min(1).max(90).default(7).describe('The link dies after this many days').meta({ title: 'Link Expires After (Days)' }),
	linkExpireAfterViews: z.number().int().min(1).max(100).default(5).describe('The link dies after this many views').meta({ title: 'Link Expires After (Views)' }),
};

const deliveredOutput = z.discriminatedUnion('delivery', [
	z.object({ delivery: z.literal('link'), url: z.string(), expiresAt: z.string(), viewsLeft: z.number().int() }),
	z.object({ delivery: z.literal('return'), password: z.string() }),
]);

const status = z.object({
	exists: z.literal(true),
	sAMAccountName: z.string(),
	displayName: z.string(),
	distinguishedName: z.string(),
	enabled: z.boolean(),
	locked: z.boolean(),
});

const done = z.object({ sAMAccountName: z.string(), message: z.string() });

export const checkUser = defineOperation({
	id: 'ad.check_user',
	service: 'ad',
	resource: 'user',
	displayName: 'Check User',
	summary: 'Check whether an account exists, is enabled and is locked out.',
	description:
		'Check whether an Active Directory account exists and whether it is enabled and locked out. Returns {exists: false} for an unknown account, else {exists: true, sAMAccountName, displayName, distinguishedName, enabled, locked}.',
	level: 0,
	input: z.strictObject({ sAMAccountName: sam }),
	output: z.union([status, z.object({ exists: z.literal(false), sAMAccountName: z.string() })]),
	handler: async ({ sAMAccountName }, ad) => ad.checkUser(sAMAccountName),
});

export const getUserInfo = defineOperation({
	id: 'ad.get_user_info',
	service: 'ad',
	resource: 'user',
	displayName: 'Get User Info',
	summary: 'Read an account\'s details: title, department, mail, groups, last logon.',
	description:
		'Read an Active Directory account: title, department, mail, last logon, groups, password last set, lockout time, enabled and locked flags.',
	level: 0,
	input: z.strictObject({ sAMAccountName: sam }),
	output: status.extend({
		title: z.string(),
		department: z.string(),
		mail: z.string(),
		lastLogon: z.string().nullable(),
		groups: z.array(z.string()),
		passwordLastSet: z.string().nullable(),
		lockoutTime: z.string().nullable(),
	}),
	handler: async ({ sAMAccountName }, ad) => ad.getUserInfo(sAMAccountName),
});

export const resetPassword = defineOperation({
	id: 'ad.reset_password',
	service: 'ad',
	resource: 'user',
	displayName: 'Reset Password',
	summary: 'Give an account a new random password, delivered as a one-time link.',
	description:
		'Give an Active Directory account a new, strong, random password and deliver it as a one-time MySecret link to send to the person: the password itself never appears in the output. Optionally the person must change it at next logon. Needs a technician\'s approval when an AI agent asks.',
	level: 3,
	input: z.strictObject({
		sAMAccountName: sam,
		mustChangeAtNextLogon: z.boolean().default(true).describe('Force the person to choose their own password at next logon').meta({ title: 'Must Change At Next Logon' }),
		...delivery,
	}),
	output: z.object({ sAMAccountName: z.string(), mustChangeAtNextLogon: z.boolean(), password: deliveredOutput }),
	handler: async ({ sAMAccountName, mustChangeAtNextLogon, ...options }, ad) => ({
		sAMAccountName,
		mustChangeAtNextLogon,
		password: await ad.resetPassword(sAMAccountName, mustChangeAtNextLogon, options),
	}),
});

export const unlockAccount = defineOperation({
	id: 'ad.unlock_account',
	service: 'ad',
	resource: 'user',
	displayName: 'Unlock Account',
	summary: 'Unlock an account locked out after too many wrong passwords.',
	description: 'Unlock an Active Directory account locked out after too many wrong passwords (also resets the bad-password count).',
	level: 2,
	idempotent: true,
	input: z.strictObject({ sAMAccountName: sam }),
	output: done,
	handler: async ({ sAMAccountName }, ad) => {
		await ad.unlock(sAMAccountName);
		return { sAMAccountName, message: `Account ${sAMAccountName} unlocked` };
	},
});

export const disableAccount = defineOperation({
	id: 'ad.disable_account',
	service: 'ad',
	resource: 'user',
	displayName: 'Disable Account',
	summary: 'Disable an account: the person can no longer log on.',
	description: 'Disable an Active Directory account: the person can no longer log on until it is enabled again.',
	level: 3,
	idempotent: true,
	input: z.strictObject({ sAMAccountName: sam }),
	output: done,
	handler: async ({ sAMAccountName }, ad) => {
		await ad.setEnabled(sAMAccountName, false);
		return { sAMAccountName, message: `Account ${sAMAccountName} disabled` };
	},
});

export const enableAccount = defineOperation({
	id: 'ad.enable_account',
	service: 'ad',
	resource: 'user',
	displayName: 'Enable Account',
	summary: 'Enable a disabled account again.',
	description: 'Enable a disabled Active Directory account. As sensitive as disabling: it gives access back.',
	level: 3,
	idempotent: true,
	input: z.strictObject({ sAMAccountName: sam }),
	output: done,
	handler: async ({ sAMAccountName }, ad) => {
		await ad.setEnabled(sAMAccountName, true);
		return { sAMAccountName, message: `Account ${sAMAccountName} enabled` };
	},
});

export const moveToOu = defineOperation({
	id: 'ad.move_to_ou',
	service: 'ad',
	resource: 'user',
	displayName: 'Move to OU',
	summary: 'Move an account to another organisational unit.',
	description: 'Move an Active Directory account to another organisational unit (e.g. when a nurse changes site).',
	level: 2,
	idempotent: true,
	input: z.strictObject({ sAMAccountName: sam, targetOu: ouDn }),
	output: z.object({ sAMAccountName: z.string(), distinguishedName: z.string() }),
	handler: async ({ sAMAccountName, targetOu }, ad) => ({ sAMAccountName, distinguishedName: await ad.moveToOu(sAMAccountName, targetOu) }),
});

export const createUser = defineOperation({
	id: 'ad.create_user',
	service: 'ad',
	resource: 'user',
	displayName: 'Create User',
	summary: 'Create an account with a generated password sent as a one-time link.',
	description:
		'Create an Active Directory account with a generated password delivered as a one-time link. Forbidden to AI agents: only workflows a person built may create accounts.',
	level: 4,
	input: z.strictObject({
		sAMAccountName: sam,
		givenName: z.string().min(1).max(64).describe('First name').meta({ title: 'First Name' }),
		surname: z.string().min(1).max(64).describe('Last name').meta({ title: 'Last Name' }),
		ouDn: ouDn.meta({ title: 'OU' }),
		mail: z.email().optional().describe('E-mail address').meta({ title: 'E-Mail' }),
		title: z.string().max(128).optional().describe('Job title').meta({ title: 'Job Title' }),
		department: z.string().max(64).optional().describe('Department or site').meta({ title: 'Department' }),
		enabled: z.boolean().default(true).describe('Enable the account at once').meta({ title: 'Enabled' }),
		mustChangeAtNextLogon: z.boolean().default(true).describe('Force a new password at first logon').meta({ title: 'Must Change At Next Logon' }),
		...delivery,
	}),
	output: z.object({ sAMAccountName: z.string(), distinguishedName: z.string(), password: deliveredOutput }),
	handler: async ({ sAMAccountName, givenName, surname, ouDn, mail, title, department, enabled, mustChangeAtNextLogon, ...options }, ad) => {
		const { dn, password } = await ad.createUser(
			{ sAMAccountName, givenName, surname, ouDn, mail, title, department, enabled, mustChangePassword: mustChangeAtNextLogon, displayName: `${givenName} ${surname}` },
			options,
		);
		return { sAMAccountName, distinguishedName: dn, password };
	},
});

export const deleteUser = defineOperation({
	id: 'ad.delete_user',
	service: 'ad',
	resource: 'user',
	displayName: 'Delete User',
	summary: 'Delete an account for good.',
	description: 'Delete an Active Directory account for good. Forbidden to AI agents: only workflows a person built may delete accounts.',
	level: 4,
	input: z.strictObject({ sAMAccountName: sam }),
	output: done,
	handler: async ({ sAMAccountName }, ad) => {
		await ad.deleteUser(sAMAccountName);
		return { sAMAccountName, message: `Account ${sAMAccountName} deleted` };
	},
});

export const adOperations = [checkUser, getUserInfo, resetPassword, unlockAccount, disableAccount, enableAccount, moveToOu, createUser, deleteUser];
