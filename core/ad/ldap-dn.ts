/**
 * Just enough RFC 4514 for the LDAPS backend. DNs we act on always come from the directory (search
 * results); the only value we ever put into a DN ourselves is a new account's CN, escaped here.
 */

/** Escapes one RDN attribute value (RFC 4514 §2.4), e.g. `Dubois, Marie` → `Dubois\, Marie`. */
export function escapeRdnValue(value: string): string {
	let out = '';
	for (let i = 0; i < value.length; i++) {
		const ch = value[i];
		if (ch === '\u0000') out += '\\00';
		else if (',+"\\<>;='.includes(ch)) out += `\\${ch}`;
		else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === value.length - 1 && ch === ' ')) out += `\\${ch}`;
		else out += ch;
	}
	return out;
}

/** Index of the first comma that separates RDNs (not escaped by a backslash), or -1. */
function firstSeparator(dn: string): number {
	for (let i = 0; i < dn.length; i++) {
		if (dn[i] === '\\') {
			i++; // skips the escaped char (or the first hex digit; the second is never a comma)
			continue;
		}
		if (dn[i] === ',') return i;
	}
	return -1;
}

/** The first RDN of a DN as written, e.g. `CN=Dubois\, Marie` of `CN=Dubois\, Marie,OU=Soins,DC=…`. */
export function firstRdn(dn: string): string {
	const at = firstSeparator(dn);
	return at < 0 ? dn : dn.slice(0, at);
}

/** The DN of the parent, e.g. `OU=Soins,DC=widip,DC=test`. */
export function parentDn(dn: string): string {
	const at = firstSeparator(dn);
	return at < 0 ? '' : dn.slice(at + 1);
}

/** Reverses RFC 4514 escapes (`\,` and `\c3\a9` alike). */
export function unescapeRdnValue(value: string): string {
	const bytes: number[] = [];
	for (let i = 0; i < value.length; i++) {
		const ch = value[i];
		if (ch === '\\' && i + 1 < value.length) {
			const hex = value.slice(i + 1, i + 3);
			if (/^[0-9a-fA-F]{2}$/.test(hex)) {
				bytes.push(parseInt(hex, 16));
				i += 2;
			} else {
				bytes.push(...Buffer.from(value[i + 1], 'utf8'));
				i += 1;
			}
		} else {
			bytes.push(...Buffer.from(ch, 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

/** The (unescaped) value of a DN's first RDN: the group name `Soignants` of `CN=Soignants,OU=…`. */
export function rdnValue(dn: string): string {
	const rdn = firstRdn(dn);
	const eq = rdn.indexOf('=');
	return unescapeRdnValue(eq < 0 ? rdn : rdn.slice(eq + 1));
}

/** Case-insensitive DN comparison good enough for "is it already there" checks. */
export function sameDn(a: string, b: string): boolean {
	const norm = (dn: string) => dn.replace(/\s*,\s*/g, ',').replace(/\s*=\s*/g, '=').toLowerCase();
	return norm(a) === norm(b);
}

/** `DC=widip,DC=test` → `widip.test` (the UPN suffix of the domain). */
export function dnsDomainOf(namingContext: string): string {
	return namingContext
		.split(',')
		.map((part) => part.trim())
		.filter((part) => /^DC=/i.test(part))
		.map((part) => part.slice(3))
		.join('.')
		.toLowerCase();
}
