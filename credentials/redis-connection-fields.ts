import type { INodeProperties } from 'n8n-workflow';

/**
 * The Redis connection fields every WIDIP credential that reaches Redis shares; `usernameHint`
 * says which ACL user fits this credential (see docs/redis-acl.md).
 */
export function redisConnectionFields(usernameHint: string): INodeProperties[] {
	return [
		{ displayName: 'Host', name: 'host', type: 'string', default: '127.0.0.1', required: true },
		{ displayName: 'Port', name: 'port', type: 'number', default: 6379, required: true },
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			description: `Redis 6+ ACL user; leave empty for the default user. ${usernameHint}`,
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
