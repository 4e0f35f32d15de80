import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import type { AdConfigInput } from '../../core/ad/config';
import { createAdClient } from '../../core/ad/factory';
import { parseAccountList, parseOuList } from '../../core/ad/protected';
import { MySecretClient } from '../../core/mysecret/client';
import { mySecretConfigFromCredentials } from '../MySecret/connection';

export function adConfigFromCredentials(credentials: ICredentialDataDecryptedObject): AdConfigInput {
	const timeoutMs = Number(credentials.timeoutMs ?? 15_000);
	// which accounts may be written, on top of the always-protected privileged ones (core/ad/protected.ts)
	const protection = {
		protectedAccounts: parseAccountList(credentials.protectedAccounts),
		allowedOus: parseOuList(credentials.allowedOus),
	};
	if (credentials.backend === 'ssh') {
		return {
			backend: 'ssh',
			host: String(credentials.sshHost ?? ''),
			port: Number(credentials.sshPort ?? 22),
			username: String(credentials.sshUser ?? ''),
			password: (credentials.sshPassword as string) || undefined,
			privateKey: (credentials.sshPrivateKey as string) || undefined,
			hostKeySha256: String(credentials.hostKeySha256 ?? ''),
			powershell: (credentials.powershell as string) || 'powershell.exe',
			timeoutMs,
			...protection,
		};
	}
	return {
		backend: 'ldaps',
		url: String(credentials.url ?? ''),
		startTls: credentials.startTls === true,
		bindDn: String(credentials.bindDn ?? ''),
		bindPassword: String(credentials.bindPassword ?? ''),
		baseDn: String(credentials.baseDn ?? ''),
		caCert: (credentials.caCert as string) || undefined,
		tlsServerName: (credentials.tlsServerName as string) || undefined,
		allowUnverifiedTls: credentials.allowUnverifiedTls === true,
		timeoutMs,
		...protection,
	};
}

/** The MySecret credential is optional: without it, passwords cannot be delivered as links. */
export async function openAdClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials('widipActiveDirectoryApi');
	let mysecret: MySecretClient | undefined;
	try {
		mysecret = new MySecretClient(mySecretConfigFromCredentials(await context.getCredentials('widipMySecretApi')));
	} catch {
		mysecret = undefined;
	}
	const ad = createAdClient(adConfigFromCredentials(credentials), { mysecret, logger: context.logger });
	return { clients: { ad }, close: () => ad.close() };
}

export async function widipAdConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const ad = createAdClient(adConfigFromCredentials(credential.data ?? {}));
	try {
		await ad.backend.verify();
		return { status: 'OK', message: 'Connection successful' };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	} finally {
		await ad.close();
	}
}
