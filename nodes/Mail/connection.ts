import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';

import { MailClient } from '../../core/mail/client';
import type { MailConfigInput } from '../../core/mail/config';

export const SMTP_CREDENTIAL = 'widipSmtpApi';

export function mailConfigFromCredentials(credentials: ICredentialDataDecryptedObject): MailConfigInput {
	return {
		host: String(credentials.host ?? ''),
		port: Number(credentials.port ?? 587),
		secure: credentials.secure === true,
		requireTLS: credentials.requireTLS === true,
		user: (credentials.user as string) || undefined,
		password: (credentials.password as string) || undefined,
		from: String(credentials.from ?? ''),
		// JSON text from the editor; an imported credential may hold the object itself.
		groups: credentials.groups as MailConfigInput['groups'],
		templatesDir: (credentials.templatesDir as string) || undefined,
		timeoutMs: Number(credentials.timeoutMs || 10_000),
	};
}

export async function openMailClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials(SMTP_CREDENTIAL);
	const mail = new MailClient(mailConfigFromCredentials(credentials), context.logger);
	return { clients: { mail }, close: () => mail.close() };
}

/** Credential test: connects, negotiates TLS as configured and logs in, within the timeout. */
export async function widipSmtpConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	let mail: MailClient | undefined;
	try {
		mail = new MailClient(mailConfigFromCredentials(credential.data ?? {}));
		await mail.verify();
		return { status: 'OK', message: 'Connection successful' };
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	} finally {
		await mail?.close();
	}
}
