import { z } from 'zod/v4';

const mailbox = z.email();

/** Splits "a@x.fr, b@y.fr; c@z.fr" into addresses; separators are commas, semicolons or spaces. */
export function splitAddressList(list: string): string[] {
	return list
		.split(/[,;\s]+/)
		.map((address) => address.trim())
		.filter((address) => address.length > 0);
}

/** The entries of a list that are not plain e-mail addresses, to name them in an error. */
export function invalidAddresses(addresses: readonly string[]): string[] {
	return addresses.filter((address) => !mailbox.safeParse(address).success);
}

/**
 * Keeps the first spelling of each address. Mailboxes are compared without case because
 * `Jean.Dupont@widip.fr` and `jean.dupont@widip.fr` reach the same person in practice.
 */
export function uniqueAddresses(addresses: Iterable<string>): string[] {
	const seen = new Set<string>();
	const unique: string[] = [];
	for (const address of addresses) {
		const key = address.toLowerCase();
		if (seen.has(key)) continue;
		seen.add(key);
		unique.push(address);
	}
	return unique;
}
