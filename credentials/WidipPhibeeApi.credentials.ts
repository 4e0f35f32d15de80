import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

import { PHIBEE_API_KEY_HEADER, PHIBEE_ROUTES } from '../core/phibee/contract';

/** Phibee Telecom's diagnostic API: base URL, API key (sent in a header) and the call budget. */
export class WidipPhibeeApi implements ICredentialType {
	name = 'widipPhibeeApi';

	displayName = 'WIDIP Phibee API';

	icon: Icon = { light: 'file:../icons/phibee.svg', dark: 'file:../icons/phibee.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#phibee';

	properties: INodeProperties[] = [
		{
			displayName: 'URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://api.phibee.example',
			description: 'Base URL of the Phibee API, without /api/v1',
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
			description:
				'Budget for a whole call, retries included: a silent Phibee fails within this time',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { headers: { [PHIBEE_API_KEY_HEADER]: '={{$credentials.apiKey}}' } },
	};

	/** Lists one link: needs a valid key and changes nothing. */
	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.url.replace(new RegExp("/+$"), "")}}',
			url: PHIBEE_ROUTES.listLinks.path,
			qs: { limit: 1 },
		},
	};
}
