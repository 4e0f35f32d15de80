/**
 * Ed25519 key pairs in OpenSSH's own formats, made from Node's crypto.
 *
 * Why not ssh2's `utils.generateKeyPairSync('ed25519')`: ssh2 1.17 strips every leading zero byte
 * of the DER bit string, i.e. the "unused bits" byte AND any zero byte that starts the 32-byte
 * public key. About 1 key in 150–250 then carries a 31-byte public key, which sshd refuses
 * ("Unable to load host key … error in libcrypto"). Here the raw key comes from the JWK instead
 * (`x`: the 32-byte public key, `d`: the 32-byte seed), so its length never depends on its value.
 *
 * Formats (OpenSSH PROTOCOL.key and RFC 8709):
 * - public line: `ssh-ed25519 <base64(string "ssh-ed25519", string pub32)> [comment]`
 * - private: `openssh-key-v1\0`, cipher "none", kdf "none", kdf options "", 1 key, the public blob,
 *   then the private section: checkint ×2, "ssh-ed25519", pub32, seed32‖pub32, comment, padding
 *   1, 2, 3… to a multiple of 8 — base64 in 70-column lines between the OPENSSH PRIVATE KEY markers.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface OpenSshKeyPair {
	/** `-----BEGIN OPENSSH PRIVATE KEY-----…`, unencrypted. */
	private: string;
	/** `ssh-ed25519 AAAA…` (with the comment when one was given), no newline. */
	public: string;
}

const KEY_TYPE = 'ssh-ed25519';

/** SSH wire `string`: uint32 length, then the bytes. */
function sshString(value: Buffer | string): Buffer {
	const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
	const length = Buffer.alloc(4);
	length.writeUInt32BE(bytes.length);
	return Buffer.concat([length, bytes]);
}

function uint32(value: number): Buffer {
	const out = Buffer.alloc(4);
	out.writeUInt32BE(value);
	return out;
}

function raw32(base64url: string | undefined, what: string): Buffer {
	const bytes = Buffer.from(base64url ?? '', 'base64url');
	// Checked, not assumed: a short key here is exactly the bug this module exists to avoid.
	if (bytes.length !== 32) throw new Error(`Ed25519 ${what} is ${bytes.length} bytes, expected 32`);
	return bytes;
}

/** The public key blob: string "ssh-ed25519", string pub32. */
export function ed25519PublicBlob(publicKey: Buffer): Buffer {
	return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

/** Builds both OpenSSH texts from the 32-byte seed and the 32-byte public key. */
export function openSshEd25519(seed: Buffer, publicKey: Buffer, comment = ''): OpenSshKeyPair {
	if (seed.length !== 32 || publicKey.length !== 32) throw new Error('Ed25519 seed and public key must be 32 bytes each');
	const blob = ed25519PublicBlob(publicKey);
	const check = randomBytes(4).readUInt32BE();
	const section = Buffer.concat([
		uint32(check),
		uint32(check),
		sshString(KEY_TYPE),
		sshString(publicKey),
		sshString(Buffer.concat([seed, publicKey])),
		sshString(comment),
	]);
	const padLength = (8 - (section.length % 8)) % 8;
	const padding = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
	const body = Buffer.concat([
		Buffer.from('openssh-key-v1\0', 'latin1'),
		sshString('none'),
		sshString('none'),
		sshString(''),
		uint32(1),
		sshString(blob),
		sshString(Buffer.concat([section, padding])),
	]);
	const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
	return {
		private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
		public: `${KEY_TYPE} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
	};
}

/** A fresh Ed25519 key pair in OpenSSH formats (drop-in for ssh2's generateKeyPairSync('ed25519')). */
export function generateEd25519KeyPair(comment = ''): OpenSshKeyPair {
	const { privateKey } = generateKeyPairSync('ed25519');
	const jwk = privateKey.export({ format: 'jwk' });
	return openSshEd25519(raw32(jwk.d, 'seed (JWK d)'), raw32(jwk.x, 'public key (JWK x)'), comment);
}
