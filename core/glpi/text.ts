/**
 * GLPI's HTML escaping of stored text, undone when a server ignored our
 * `X-GLPI-Sanitized-Content: false` (GLPI 9.5, older than the header; a proxy that strips it), so
 * that text reads the same whether or not the header was honoured.
 *
 * What GLPI does (src/Toolbox/Sanitizer.php): GLPI 10 stores `&`, `<`, `>` as `&#38;`, `&#60;`,
 * `&#62;`; GLPI ≤ 9.5 stored `<`, `>` as `&lt;`, `&gt;` and left `&` alone; quotes are never
 * encoded; GLPI 11 stores raw text. Honouring the header, GLPI 10 reverses its own escaping value by
 * value, when a value has no raw `<`, `>` or bare `&` and holds one of those entities.
 * `unescapeGlpi` is that same reverse, so a decoded value is what GLPI itself would have sent.
 *
 * Only those five entities: `&amp;`, `&#039;`, `&quot;`… are never GLPI's escaping but the user's
 * own text (rich-text content is HTML, where the editor writes `AT&amp;T`), so they stay as they are.
 */

const RAW_MARKUP = /[<>]/;
const GLPI10_ENTITY = /&#(?:38|60|62);/;
/** `&` that does not start an entity: GLPI 10 escaping never leaves one. */
const BARE_AMPERSAND = /&(?!#?[a-z0-9]+;)/i;
const CHARS: Record<string, string> = { '&#38;': '&', '&#60;': '<', '&#62;': '>', '&lt;': '<', '&gt;': '>' };

/** GLPI's reverse of its escaping, in one pass (so `&#38;lt;` becomes `&lt;`, never `<`). */
export function unescapeGlpi(value: string): string {
	if (RAW_MARKUP.test(value)) return value;
	if (GLPI10_ENTITY.test(value)) {
		return BARE_AMPERSAND.test(value) ? value : value.replace(/&#(?:38|60|62);/g, (entity) => CHARS[entity]);
	}
	return value.replace(/&[lg]t;/g, (entity) => CHARS[entity]);
}

function strings(value: unknown, into: string[] = []): string[] {
	if (typeof value === 'string') into.push(value);
	else if (Array.isArray(value)) value.forEach((item) => strings(item, into));
	else if (value && typeof value === 'object') Object.values(value).forEach((item) => strings(item, into));
	return into;
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
	if (typeof value === 'string') return map(value);
	if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
	if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
	return value;
}

/**
 * Whether this server honours the header, learnt once from the answers, then applied to all.
 *
 * Decoding every answer that looks escaped would double-decode: with the header honoured the text
 * is raw, and a raw title may really read `a &lt; b`. So the server's behaviour is established first:
 * - a raw `<` or `>` anywhere in an answer proves the header was honoured, as no GLPI escaping leaves
 *   one (ticket, followup and solution content is HTML, so this is the usual proof);
 * - else, when some value would change, the same GET is sent once more with the header set to
 *   `true`: a server honouring it answers differently (each `&` of such a value becomes `&#38;`),
 *   one ignoring it answers the same. If the data changed in between, the answers differ and we
 *   keep the text as sent: the safe side.
 * Text without any `&`, `<` or `>` needs no decision and decides nothing.
 */
export class SanitizedText {
	private honoured?: boolean;

	/** `again` repeats the same read with `X-GLPI-Sanitized-Content: true`. */
	async read<T>(body: T, again: () => Promise<unknown>): Promise<T> {
		if (this.honoured === undefined) {
			const values = strings(body);
			if (values.some((value) => RAW_MARKUP.test(value))) this.honoured = true;
			else if (values.some((value) => unescapeGlpi(value) !== value)) {
				const sanitized = strings(await again());
				this.honoured ??= sanitized.length !== values.length || sanitized.some((value, i) => value !== values[i]);
			}
		}
		return this.honoured === false ? (mapStrings(body, unescapeGlpi) as T) : body;
	}
}
