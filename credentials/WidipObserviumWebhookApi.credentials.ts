import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The shared secret Observium sends with its alert webhook, checked by the WIDIP Observium Trigger.
 * Observium's webhook transport carries it as HTTP Basic auth in the URL
 * (`https://observium:<secret>@n8n.example.org/webhook/widip-proactif-observium`); a proxy may send
 * it as `Authorization: Bearer <secret>` instead.
 */
export class WidipObserviumWebhookApi implements ICredentialType {
	name = 'widipObserviumWebhookApi';

	displayName = 'WIDIP Observium Webhook API';

	icon: Icon = { light: 'file:../icons/observium.svg', dark: 'file:../icons/observium.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#proactif-v9';

	properties: INodeProperties[] = [
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'observium',
			required: true,
			description: "The user part of Observium's webhook URL (Basic auth)",
		},
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'At least 24 random characters; the password part of the webhook URL in Observium (or the Bearer token)',
		},
	];
}
