import type { Logger } from '../logger';
import type { MySecretClient } from '../mysecret/client';
import { AdClient } from './client';
import { adConfigSchema, type AdConfigInput } from './config';
import { LdapBackend } from './ldap-backend';
import { SshBackend } from './ssh-backend';

/** Builds the AD client for a plain config: LDAPS by default, PowerShell over SSH on request. */
export function createAdClient(input: AdConfigInput, options: { mysecret?: MySecretClient; logger?: Logger } = {}): AdClient {
	const config = adConfigSchema.parse(input);
	const backend = config.backend === 'ssh' ? new SshBackend(config, options.logger) : new LdapBackend(config, options.logger);
	return new AdClient(backend, options.mysecret, options.logger);
}
