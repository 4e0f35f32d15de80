/**
 * Security identifiers (MS-DTYP 2.4.2). LDAP gives objectSid and tokenGroups as binary; the
 * protection rule compares text (`S-1-5-21-…-512`), as PowerShell prints them.
 */

/** Binary SID → `S-1-<authority>-<sub>-…`; null when the bytes are not a revision-1 SID. */
export function sidToString(bytes: Buffer): string | null {
	if (bytes.length < 8 || bytes[0] !== 1) return null;
	const count = bytes[1];
	if (count > 15 || bytes.length !== 8 + 4 * count) return null;
	const parts = ['S', '1', String(bytes.readUIntBE(2, 6))];
	for (let i = 0; i < count; i++) parts.push(String(bytes.readUInt32LE(8 + 4 * i)));
	return parts.join('-');
}

/** `S-1-5-21-a-b-c` + RID: a SID of a domain (or machine) account, not a well-known one. */
const DOMAIN_ACCOUNT_SID = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/;

/** The RID (last sub-authority) of a domain account's SID, or null for any other SID. */
export function domainRid(sid: string): number | null {
	const match = DOMAIN_ACCOUNT_SID.exec(sid.trim().toUpperCase());
	return match ? Number(match[1]) : null;
}
