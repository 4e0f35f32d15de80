/** Every string inside a parameter value, with its path (`parameters.options.path`, `…[2]`). */
export function* stringsIn(value: unknown, path: string): Generator<{ path: string; value: string }> {
	if (typeof value === 'string') {
		yield { path, value };
	} else if (Array.isArray(value)) {
		for (const [index, item] of value.entries()) yield* stringsIn(item, `${path}[${index}]`);
	} else if (value && typeof value === 'object') {
		for (const [key, item] of Object.entries(value)) yield* stringsIn(item, `${path}.${key}`);
	}
}
