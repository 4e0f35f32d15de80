import type { IAuthenticateGeneric, Icon, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Observium's REST API (Subscription Edition), HTTP basic auth against any Observium user. The
 * WIDIP Observium node calls the API through its own client; `authenticate` and `test` let n8n's
 * credential test (and the HTTP Request node) use the same credential.
 */
export class WidipObserviumApi implements ICredentialType {
	name = 'widipObserviumApi';

	displayName = 'WIDIP Observium API';

	icon: Icon = { light: 'file:../icons/observium.svg', dark: 'file:../icons/observium.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#observium';

	properties: INodeProperties[] = [
		{
			displayName: 'API URL',
			name: 'url',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'https://observium.example.org/api/v0',
			description: "Root of the Observium REST API, ending in /api/v0 (the API must be enabled: $config['api']['enable'] = TRUE)",
		},
		{ displayName: 'Username', name: 'username', type: 'string', default: '', required: true },
		{
			displayName: 'Password',
			name: 'password',
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
			description: 'Budget for one call, retries included: a down or silent Observium fails within this time',
		},
		{
			displayName: 'Server Time Zone',
			name: 'timeZone',
			type: 'string',
			default: 'UTC',
			placeholder: 'Europe/Paris',
			description:
				'Time zone of the Observium server (IANA name). Observium writes dates without an offset; this makes "last polled" and history times exact.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: { auth: { username: '={{$credentials.username}}', password: '={{$credentials.password}}' } },
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.url}}',
			url: '/devices/',
			qs: { fields: 'device_id' },
		},
		rules: [
			{ type: 'responseCode', properties: { value: 401, message: 'Observium rejected the username or password' } },
			{ type: 'responseCode', properties: { value: 404, message: 'No Observium API at this URL: it should end in /api/v0' } },
		],
	};
}
