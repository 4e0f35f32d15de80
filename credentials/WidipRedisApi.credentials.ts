import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

import { redisConnectionFields } from './redis-connection-fields';

/**
 * Redis used for WIDIP coordination (cache, locks, health flags). Tested by the nodes'
 * `widipRedisConnectionTest`, since Redis is not an HTTP service.
 */
export class WidipRedisApi implements ICredentialType {
	name = 'widipRedisApi';

	displayName = 'WIDIP Redis API';

	icon: Icon = { light: 'file:../icons/redis.svg', dark: 'file:../icons/redis.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#redis-credential';

	properties: INodeProperties[] = redisConnectionFields(
		'For nodes that agents use, a user limited to <prefix>cache:* and <prefix>lock:* (widip-agent, see the README)',
	);
}
