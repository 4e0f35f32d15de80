import type { CommandIo } from '../command-io';

/**
 * Placeholder so `widip validate` is wired and typed before its implementation lands; the
 * implementation replaces this file and keeps the signature.
 */
export async function validateCommand(argv: string[], io: CommandIo): Promise<number> {
	void argv;
	io.stderr('widip validate: not implemented yet\n');
	return 2;
}
