import { z } from 'zod/v4';

import { WidipError } from '../errors';
import { uniqueAddresses } from './addresses';

export const MAIL_GROUPS = ['team', 'managers', 'admins', 'all'] as const;
export type MailGroup = (typeof MAIL_GROUPS)[number];

const memberList = z.array(z.email()).default([]);

/** Who "team", "managers" and "admins" are; "all" is never listed, it is their union. */
export const mailGroupsSchema = z.strictObject({
	team: memberList,
	managers: memberList,
	admins: memberList,
});

/**
 * Groups arrive as JSON text from an n8n credential field or an environment variable, and as an
 * object from code; both are accepted, and text that is not JSON is named as such.
 */
const groupsFromText = z.preprocess((value, context) => {
	if (typeof value !== 'string') return value;
	if (value.trim() === '') return undefined;
	try {
		return JSON.parse(value) as unknown;
	} catch {
		context.addIssue({ code: 'custom', message: 'is not valid JSON (expected {"team": […], "managers": […], "admins": […]})' });
		return z.NEVER;
	}
}, mailGroupsSchema.default({ team: [], managers: [], admins: [] }));

/** One plain config object: n8n credentials and the runtime environment both produce it. */
export const mailConfigSchema = z.object({
	host: z.string().min(1),
	port: z.coerce.number().int().min(1).max(65535).default(587),
	/** Implicit TLS from the first byte (usually port 465). */
	secure: z.boolean().default(false),
	/** Refuse to continue unless the server upgrades with STARTTLS (port 587 relays). */
	requireTLS: z.boolean().default(false),
	user: z.string().optional(),
	password: z.string().optional(),
	/** Sender, bare or with a display name: `WIDIP Support <support@widip.fr>`. */
	from: z.string().min(3).regex(/@/, 'must contain an e-mail address'),
	/** Connecting, the greeting and every later silence each fail within this, never hang. */
	timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
	groups: groupsFromText,
	/** Folder of user-edited templates; a template found there replaces the built-in one. */
	templatesDir: z.string().optional(),
});

export type MailConfig = z.output<typeof mailConfigSchema>;
/** What callers pass: groups as an object or as the JSON text of one. */
export type MailConfigInput = Omit<z.input<typeof mailConfigSchema>, 'groups'> & {
	groups?: string | z.input<typeof mailGroupsSchema>;
};
export type MailGroups = z.output<typeof mailGroupsSchema>;

export function parseMailConfig(input: MailConfigInput): MailConfig {
	const parsed = mailConfigSchema.safeParse(input);
	if (parsed.success) return parsed.data;
	// Never echo the input back: it holds the SMTP password.
	const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`);
	throw new WidipError('bad_request', `Invalid mail configuration: ${fields.join('; ')}`, { service: 'mail' });
}

/** The members of a group, each once; `all` merges the three groups without repeating anyone. */
export function groupMembers(groups: MailGroups, group: MailGroup): string[] {
	if (group === 'all') return uniqueAddresses([...groups.team, ...groups.managers, ...groups.admins]);
	return uniqueAddresses(groups[group]);
}
