import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

import { redisConnectionFields } from './redis-connection-fields';

/**
 * Where Safeguard keeps its state (policy, approvals, audit) and the key that proves a policy
 * comes from the runtime. Separate from the WIDIP Redis credential on purpose: the Redis Helper's
 * cache can run as a Redis user that cannot touch Safeguard's keys, while this one can.
 */
export class WidipSafeguardApi implements ICredentialType {
	name = 'widipSafeguardApi';

	displayName = 'WIDIP Safeguard API';

	icon: Icon = { light: 'file:../icons/safeguard.svg', dark: 'file:../icons/safeguard.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#safeguard-credential';

	properties: INodeProperties[] = [
		{
			displayName:
				'Safeguard decides what AI agents may do. The Safeguard Gate, Coordination and Incident nodes need it; the other WIDIP nodes use it only when they run as an AI tool or run a Gate\'s approval. Use the Redis and key prefix of the WIDIP runtime, as a Redis user allowed to write Safeguard keys.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		...redisConnectionFields('A user allowed to write Safeguard keys (widip-platform, see the README), never the agents\' widip-agent.'),
		{
			displayName: 'Safeguard Secret',
			name: 'safeguardSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				"The runtime's WIDIP_SAFEGUARD_SECRET. Nodes apply only a policy signed with it; without it they apply the catalogue's levels.",
		},
	];
}
