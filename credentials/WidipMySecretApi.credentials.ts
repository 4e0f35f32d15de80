import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { MYSECRET_API_KEY_HEADER, MYSECRET_ROUTES } from '../core/mysecret/contract';

/** The one-time-secret service: base URL, API key (sent in a header) and the call budget. */
export class WidipMySecretApi implements ICredentialType {
	name = 'widipMySecretApi';

	displayName = 'WIDIP MySecret API';

	icon: Icon = { light: 'file:../icons/mysecret.svg', dark: 'file:../icons/mysecret.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#mysecret';

	properties: INodeProperties[] = [
		{
			displayName: 'URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://secret.widip.fr',
			description: 'Base URL of the MySecret service',
			required: true,
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			default: 10000,
			description: 'Budget for a whole call: a silent MySecret fails within this time',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { [MYSECRET_API_KEY_HEADER]: '={{$credentials.apiKey}}' } },
	};

	/** The status route checks the key without creating a secret. */
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.url.replace(new RegExp("/+$"), "")}}',
			url: MYSECRET_ROUTES.status.path,
		},
	};
}
