import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Redis used for WIDIP coordination (cache, locks, health flags). Tested by the nodes'
 * `widipRedisConnectionTest`, since Redis is not an HTTP service.
 */
export class WidipRedisApi implements ICredentialType {
	name = 'widipRedisApi';

	displayName = 'WIDIP Redis API';

	icon: Icon = { light: 'file:../icons/redis.svg', dark: 'file:../icons/redis.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#redis-credential';

	properties: INodeProperties[] = [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1', required: true },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, required: true },
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			description:
				'Redis 6+ ACL user; leave empty for the default user. For nodes that agents use, a user limited to <prefix>cache:* and <prefix>lock:* (widip-agent, see the README)',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{ displayName: 'Database Number', name: 'database', type: 'number', default: 0 },
		{ displayName: 'SSL/TLS', name: 'tls', type: 'boolean', default: false },
		{
			displayName: 'Key Prefix',
			name: 'keyPrefix',
			type: 'string',
			default: 'widip:',
			required: true,
			description:
				'Added in front of every key, so WIDIP keys never collide with others in the same Redis. Required: segments of letters, digits, _ . - each ending with ":" (e.g. widip: or widip:site-a:); Redis Helper keys live under <prefix>cache:',
		},
		{
			displayName: 'Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			default: 5000,
			description: 'Connection and command timeout: an unreachable Redis fails within this time',
		},
	];
}
