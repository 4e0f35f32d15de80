/**
 * The test servers' Ed25519 keys (openssh-keys.ts): every key is well-formed (32-byte public key,
 * even when it starts with a zero byte — the case ssh2's own generator breaks), ssh2 reads both
 * halves, the private half signs what the public half verifies, and OpenSSH's ssh-keygen derives
 * the same public key from the private file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { utils, type ParsedKey } from 'ssh2';

import { generateEd25519KeyPair, type OpenSshKeyPair } from './openssh-keys';

jest.setTimeout(120_000);

function parsed(text: string, what: string): ParsedKey {
	const key = utils.parseKey(text);
	if (key instanceof Error) throw new Error(`ssh2 cannot parse the ${what}: ${key.message}`);
	return key;
}

/** The raw public key inside `ssh-ed25519 AAAA…`, after checking the blob's framing. */
function publicKeyOf(line: string): Buffer {
	const [type, base64] = line.split(' ');
	expect(type).toBe('ssh-ed25519');
	const blob = Buffer.from(base64, 'base64');
	expect(blob.readUInt32BE(0)).toBe(11);
	expect(blob.subarray(4, 15).toString('latin1')).toBe('ssh-ed25519');
	expect(blob.readUInt32BE(15)).toBe(32);
	expect(blob.length).toBe(4 + 11 + 4 + 32);
	return blob.subarray(19);
}

/** A key whose public key starts with 0x00 (about 1 in 256): the case that broke before. */
function keyWithLeadingZero(): OpenSshKeyPair {
	for (let i = 0; i < 20_000; i++) {
		const pair = generateEd25519KeyPair();
		if (publicKeyOf(pair.public)[0] === 0) return pair;
	}
	throw new Error('no key with a leading zero byte in 20,000 tries');
}

describe('generateEd25519KeyPair', () => {
	it('2,000 keys: each public key is 32 bytes, ssh2 parses both halves, and they belong together', () => {
		const data = Buffer.from('widip host key check');
		let leadingZero = 0;
		for (let i = 0; i < 2000; i++) {
			const pair = generateEd25519KeyPair();
			const raw = publicKeyOf(pair.public);
			if (raw[0] === 0) leadingZero++;
			const priv = parsed(pair.private, `private key #${i}`);
			const pub = parsed(pair.public, `public key #${i}`);
			expect(priv.type).toBe('ssh-ed25519');
			expect(pub.type).toBe('ssh-ed25519');
			expect(priv.isPrivateKey()).toBe(true);
			// the private file carries the same public key as the public line
			expect(priv.getPublicSSH().equals(pub.getPublicSSH())).toBe(true);
			if (i % 100 === 0) expect(pub.verify(data, priv.sign(data))).toBe(true);
		}
		// at this rate some keys must have started with 0x00; otherwise the test proved nothing
		expect(leadingZero).toBeGreaterThan(0);
	});

	it('a comment goes on the public line and into the private file', () => {
		const pair = generateEd25519KeyPair('widip-test-host');
		expect(pair.public).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} widip-test-host$/);
		expect(parsed(pair.private, 'private key').comment).toBe('widip-test-host');
	});

	describe('ssh-keygen (OpenSSH) agrees', () => {
		let dir: string;
		beforeAll(() => {
			dir = mkdtempSync(path.join(os.tmpdir(), 'widip-keys-'));
		});
		afterAll(() => rmSync(dir, { recursive: true, force: true }));

		const cases: Array<[string, () => OpenSshKeyPair]> = [
			['a key whose public key starts with a zero byte', keyWithLeadingZero],
			...Array.from({ length: 5 }, (_, i): [string, () => OpenSshKeyPair] => [`random key ${i + 1}`, () => generateEd25519KeyPair()]),
		];
		it.each(cases)('%s: `ssh-keygen -y -f` derives the same public key', (_name, make) => {
			const pair = make();
			const file = path.join(dir, `key-${Math.random().toString(36).slice(2)}`);
			writeFileSync(file, pair.private, { mode: 0o600 });
			const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
			expect(derived.split(' ').slice(0, 2).join(' ')).toBe(pair.public);
		});
	});
});
