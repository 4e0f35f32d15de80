import { WidipError } from '../errors';
import type { Logger } from '../logger';
import type { MySecretClient } from '../mysecret/client';
import { generatePassword } from './password';
import { assertSam } from './sam';
import type { AdBackend, AdUserInfo, AdUserStatus, NewAdUser } from './types';

export interface PasswordDelivery {
	/** `link` (default): only a MySecret link leaves the client. `return`: the password itself. */
	delivery: 'link' | 'return';
	length: number;
	linkExpireAfterDays: number;
	linkExpireAfterViews: number;
}

export type DeliveredPassword =
	| { delivery: 'link'; url: string; expiresAt: string; viewsLeft: number }
	| { delivery: 'return'; password: string };

/**
 * Active Directory for the operations: validates account names, generates passwords, and makes sure
 * a generated password leaves only as a one-time link unless the caller explicitly asks otherwise.
 */
export class AdClient {
	constructor(
		readonly backend: AdBackend,
		private readonly mysecret?: MySecretClient,
		private readonly logger?: Logger,
	) {}

	async checkUser(sam: string): Promise<AdUserStatus | { exists: false; sAMAccountName: string }> {
		const checked = assertSam(sam, 'ad.check_user');
		return (await this.backend.checkUser(checked)) ?? { exists: false, sAMAccountName: checked };
	}

	async getUserInfo(sam: string): Promise<AdUserInfo> {
		return await this.backend.getUserInfo(assertSam(sam, 'ad.get_user_info'));
	}

	/**
	 * The link is made before the reset: if the reset fails, nobody is sent a password that does
	 * not work; if the link cannot be made, the account keeps its old password.
	 */
	private async deliver(operation: string, password: string, options: PasswordDelivery): Promise<DeliveredPassword> {
		if (options.delivery === 'return') return { delivery: 'return', password };
		if (!this.mysecret) {
			throw new WidipError('bad_request', `${operation}: delivering the password as a link needs a MySecret credential`, {
				service: 'ad',
				operation,
			});
		}
		const link = await this.mysecret.createSecret(password, {
			expireAfterDays: options.linkExpireAfterDays,
			expireAfterViews: options.linkExpireAfterViews,
		});
		return { delivery: 'link', url: link.url, expiresAt: link.expiresAt, viewsLeft: link.viewsLeft };
	}

	async resetPassword(sam: string, mustChangeAtNextLogon: boolean, options: PasswordDelivery): Promise<DeliveredPassword> {
		const checked = assertSam(sam, 'ad.reset_password');
		const password = generatePassword(options.length);
		const delivered = await this.deliver('ad.reset_password', password, options);
		await this.backend.resetPassword(checked, password, mustChangeAtNextLogon);
		this.logger?.info(`ad.reset_password: password of ${checked} reset (${delivered.delivery})`);
		return delivered;
	}

	async unlock(sam: string): Promise<void> {
		await this.backend.unlock(assertSam(sam, 'ad.unlock_account'));
	}

	async setEnabled(sam: string, enabled: boolean): Promise<void> {
		await this.backend.setEnabled(assertSam(sam, enabled ? 'ad.enable_account' : 'ad.disable_account'), enabled);
	}

	async moveToOu(sam: string, targetOuDn: string): Promise<string> {
		return await this.backend.moveToOu(assertSam(sam, 'ad.move_to_ou'), targetOuDn);
	}

	async createUser(user: Omit<NewAdUser, 'password'>, options: PasswordDelivery): Promise<{ dn: string; password: DeliveredPassword }> {
		assertSam(user.sAMAccountName, 'ad.create_user');
		const password = generatePassword(options.length);
		const delivered = await this.deliver('ad.create_user', password, options);
		const dn = await this.backend.createUser({ ...user, password });
		return { dn, password: delivered };
	}

	async deleteUser(sam: string): Promise<void> {
		await this.backend.deleteUser(assertSam(sam, 'ad.delete_user'));
	}

	async close(): Promise<void> {
		await this.backend.close();
	}
}
