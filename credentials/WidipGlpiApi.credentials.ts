import type { Icon, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** GLPI legacy REST API (`apirest.php`): App-Token plus a user token (or login and password). */
export class WidipGlpiApi implements ICredentialType {
	name = 'widipGlpiApi';

	displayName = 'WIDIP GLPI API';

	icon: Icon = { light: 'file:../icons/glpi.svg', dark: 'file:../icons/glpi.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#glpi';

	properties: INodeProperties[] = [
		{
			displayName: 'API URL',
			name: 'url',
			type: 'string',
			default: '',
			placeholder: 'https://glpi.example.org/apirest.php',
			required: true,
		},
		{
			displayName: 'App-Token',
			name: 'appToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Token of the API client (Setup → General → API); leave empty if the API client has none',
		},
		{
			displayName: 'Authentication',
			name: 'authMethod',
			type: 'options',
			options: [
				{ name: 'User Token', value: 'userToken' },
				{ name: 'Login and Password', value: 'basic' },
			],
			default: 'userToken',
		},
		{
			displayName: 'User Token',
			name: 'userToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['userToken'] } },
			description: 'API token of the GLPI user (My settings → Remote access keys)',
		},
		{
			displayName: 'Login',
			name: 'login',
			type: 'string',
			default: '',
			displayOptions: { show: { authMethod: ['basic'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authMethod: ['basic'] } },
		},
		{
			displayName: 'Time Zone of GLPI',
			name: 'timeZone',
			type: 'string',
			default: 'Europe/Paris',
			description: 'GLPI stores dates without a zone; used for "opened in the last N minutes"',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			default: 15000,
			description: 'Whole-call budget, retries included',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{ $credentials.url.replace(/\\/+$/, "") }}',
			url: '/initSession',
			method: 'GET',
			headers: {
				'App-Token': '={{ $credentials.appToken }}',
				Authorization:
					'={{ $credentials.authMethod === "basic" ? "Basic " + ($credentials.login + ":" + $credentials.password).base64Encode() : "user_token " + $credentials.userToken }}',
			},
		},
	};
}
