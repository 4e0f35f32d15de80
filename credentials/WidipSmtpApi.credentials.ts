import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The SMTP relay WIDIP sends its mail through, plus who the notification groups are. Tested by
 * the Mail node's `widipSmtpConnectionTest` (connect, TLS, login), since SMTP is not HTTP.
 */
export class WidipSmtpApi implements ICredentialType {
	name = 'widipSmtpApi';

	displayName = 'WIDIP SMTP API';

	icon: Icon = { light: 'file:../icons/mail.svg', dark: 'file:../icons/mail.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#mail';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '', placeholder: 'smtp.widip.fr', required: true },
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			description: 'Usually 587 (STARTTLS) or 465 (SSL/TLS)',
			required: true,
		},
		{
			displayName: 'SSL/TLS',
			name: 'secure',
			type: 'boolean',
			default: false,
			description: 'Whether to use TLS from the first byte (implicit TLS, usually port 465)',
		},
		{
			displayName: 'Require STARTTLS',
			name: 'requireTLS',
			type: 'boolean',
			default: false,
			description: 'Whether to refuse to send unless the server upgrades the connection with STARTTLS (port 587)',
		},
		{ displayName: 'User', name: 'user', type: 'string', default: '', description: 'Leave empty for a relay without login' },
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'From',
			name: 'from',
			type: 'string',
			default: '',
			placeholder: 'Support WIDIP <support@widip.fr>',
			description: 'Sender of every mail, with or without a display name',
			required: true,
		},
		{
			displayName: 'Groups',
			name: 'groups',
			type: 'json',
			default: '{\n  "team": [],\n  "managers": [],\n  "admins": []\n}',
			description:
				'Who receives bulk notifications, as JSON: {"team": ["technicien@widip.fr"], "managers": […], "admins": […]}. "All" is everyone in these lists, each person once.',
		},
		{
			displayName: 'Templates Folder',
			name: 'templatesDir',
			type: 'string',
			default: '',
			placeholder: '/home/node/.n8n/widip-templates',
			description:
				'Optional folder on the n8n server with edited templates: a sub-folder named like a template (e.g. ticket_created, holding subject.mustache, text.mustache and html.mustache) replaces the built-in one',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			default: 10000,
			description: 'An unreachable or silent SMTP server fails within this time',
		},
	];
}
