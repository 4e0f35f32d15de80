/**
 * Flags text a technician might misread: characters outside printable ASCII (a Cyrillic "а" that
 * looks like a Latin "a" in an account name), and words that mix scripts. Accents are common in
 * French names, so they are named rather than refused: the technician decides.
 */

const SCRIPTS: [string, RegExp][] = [
	['Latin', /\p{Script=Latin}/u],
	['Cyrillic', /\p{Script=Cyrillic}/u],
	['Greek', /\p{Script=Greek}/u],
	['Armenian', /\p{Script=Armenian}/u],
	['Cherokee', /\p{Script=Cherokee}/u],
];

function codePoint(char: string): string {
	return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function describe(char: string): string {
	// Invisible and control characters are shown by code point only.
	return /[\p{L}\p{N}\p{P}\p{S}]/u.test(char) ? `"${char}" ${codePoint(char)}` : codePoint(char);
}

function* strings(value: unknown, path: string): Generator<[string, string]> {
	if (typeof value === 'string') yield [path, value];
	else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
	else if (value && typeof value === 'object') {
		for (const [key, item] of Object.entries(value)) yield* strings(item, path ? `${path}.${key}` : key);
	}
}

/** One warning per argument whose text is not plain printable ASCII. */
export function lookAlikeWarnings(args: Record<string, unknown>): string[] {
	const warnings: string[] = [];
	for (const [path, text] of strings(args, '')) {
		const unusual = [...new Set([...text].filter((char) => !/^[\x20-\x7E\n\t]$/.test(char)))];
		if (unusual.length === 0) continue;
		const mixed = text
			.split(/[^\p{L}]+/u)
			.filter((word) => SCRIPTS.filter(([, pattern]) => pattern.test(word)).length > 1);
		const names = unusual.slice(0, 8).map(describe).join(', ') + (unusual.length > 8 ? ', …' : '');
		warnings.push(
			mixed.length > 0
				? `${path}: mixes alphabets in "${mixed[0]}" (look-alike letters?): ${names}`
				: `${path}: contains non-ASCII characters: ${names}`,
		);
	}
	return warnings;
}
