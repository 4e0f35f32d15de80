import { z } from 'zod/v4';

/**
 * Which accounts WIDIP may write to, on top of the built-in rule of protected.ts (privileged
 * accounts are always refused). Optional, so that configs written before these settings still parse.
 */
const protection = {
	/** sAMAccountNames never to change (case-insensitive). */
	protectedAccounts: z.array(z.string().trim().min(1)).optional(),
	/** DNs of the OUs whose accounts may be written; empty or absent: no restriction. */
	allowedOus: z.array(z.string().trim().regex(/^[^=]+=/, 'expected an OU DN such as OU=Soignants,DC=widip,DC=test')).optional(),
};

/** LDAPS (or StartTLS on 389) with a service account; TLS verified against a CA unless told not to. */
export const ldapsConfigSchema = z.object({
	backend: z.literal('ldaps'),
	/** `ldaps://dc1.widip.test:636`, or `ldap://…:389` with startTls. */
	url: z.string().regex(/^ldaps?:\/\//, 'must start with ldaps:// or ldap://'),
	startTls: z.boolean().default(false),
	/** Service account: a UPN (`svc-widip@widip.test`), `DOMAIN\\user` or a DN. */
	bindDn: z.string().min(1),
	bindPassword: z.string().min(1),
	/** Search base, e.g. `DC=widip,DC=test`. */
	baseDn: z.string().min(1),
	/** PEM of the CA that signed the DC's certificate. */
	caCert: z.string().optional(),
	/** Off by default; turning it on logs a warning at every connection. */
	allowUnverifiedTls: z.boolean().default(false),
	/** Expected host name in the DC certificate when it differs from the URL's (connect by IP). */
	tlsServerName: z.string().optional(),
	timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
	...protection,
});

/** PowerShell (ActiveDirectory module) over SSH on a Windows server; the host key is pinned. */
export const sshConfigSchema = z.object({
	backend: z.literal('ssh'),
	host: z.string().min(1),
	port: z.number().int().min(1).max(65535).default(22),
	username: z.string().min(1),
	password: z.string().optional(),
	privateKey: z.string().optional(),
	/** SHA-256 fingerprint of the server's host key, base64 as OpenSSH prints it (`SHA256:…`). */
	hostKeySha256: z.string().regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'expected an OpenSSH SHA256 fingerprint'),
	/** The PowerShell executable on the server. */
	powershell: z.string().regex(/^[A-Za-z0-9_.:\\/-]+$/, 'a path without spaces (no quoting works under both cmd.exe and PowerShell)').default('powershell.exe'),
	timeoutMs: z.number().int().min(100).max(120_000).default(20_000),
	...protection,
});

export const adConfigSchema = z.discriminatedUnion('backend', [ldapsConfigSchema, sshConfigSchema]);

export type LdapsConfig = z.output<typeof ldapsConfigSchema>;
export type SshConfig = z.output<typeof sshConfigSchema>;
export type AdConfig = z.output<typeof adConfigSchema>;
export type AdConfigInput = z.input<typeof adConfigSchema>;
