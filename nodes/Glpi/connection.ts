import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import type { GlpiConfigInput } from '../../core/glpi/config';
import { GlpiClient } from '../../core/glpi/client';

export function glpiConfigFromCredentials(credentials: ICredentialDataDecryptedObject): GlpiConfigInput {
	const basic = credentials.authMethod === 'basic';
	return {
		url: String(credentials.url ?? ''),
		appToken: (credentials.appToken as string) || undefined,
		userToken: basic ? undefined : (credentials.userToken as string) || undefined,
		login: basic ? (credentials.login as string) || undefined : undefined,
		password: basic ? (credentials.password as string) || undefined : undefined,
		timeZone: (credentials.timeZone as string) || 'Europe/Paris',
		timeoutMs: Number(credentials.timeoutMs ?? 15_000),
	};
}

/** One client (one GLPI session) per node run, closed with killSession when the run ends. */
export async function openGlpiClients(context: IExecuteFunctions) {
	const credentials = await context.getCredentials('widipGlpiApi');
	const glpi = new GlpiClient(glpiConfigFromCredentials(credentials));
	return { clients: { glpi }, close: () => glpi.close() };
}
