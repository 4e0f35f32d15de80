import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

const ldaps = { show: { backend: ['ldaps'] } };
const ssh = { show: { backend: ['ssh'] } };

/**
 * Active Directory through LDAPS (default) or PowerShell over SSH. Tested by the node's
 * `widipAdConnectionTest` (bind / remote call with the service account).
 */
export class WidipActiveDirectoryApi implements ICredentialType {
	name = 'widipActiveDirectoryApi';

	displayName = 'WIDIP Active Directory API';

	icon: Icon = { light: 'file:../icons/ad.svg', dark: 'file:../icons/ad.dark.svg' };

	documentationUrl = 'https://github.com/widip/n8n-nodes-widip#active-directory';

	properties: INodeProperties[] = [
		{
			displayName: 'Connection',
			name: 'backend',
			type: 'options',
			options: [
				{ name: 'LDAPS (Recommended)', value: 'ldaps' },
				{ name: 'PowerShell over SSH', value: 'ssh' },
			],
			default: 'ldaps',
		},
		{ displayName: 'LDAP URL', name: 'url', type: 'string', default: '', placeholder: 'ldaps://dc1.widip.test:636', displayOptions: ldaps },
		{ displayName: 'Use StartTLS', name: 'startTls', type: 'boolean', default: false, description: 'Whether to upgrade an ldap:// connection with StartTLS', displayOptions: ldaps },
		{ displayName: 'Bind Account', name: 'bindDn', type: 'string', default: '', placeholder: 'svc-widip@widip.test', displayOptions: ldaps },
		{ displayName: 'Bind Password', name: 'bindPassword', type: 'string', typeOptions: { password: true }, default: '', displayOptions: ldaps },
		{ displayName: 'Base DN', name: 'baseDn', type: 'string', default: '', placeholder: 'DC=widip,DC=test', displayOptions: ldaps },
		// A CA certificate is public (it only lets us check the DC): not a secret to mask.
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'CA Certificate (PEM)',
			name: 'caCert',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'CA that signed the domain controller certificate',
			displayOptions: ldaps,
		},
		{
			displayName: 'TLS Server Name',
			name: 'tlsServerName',
			type: 'string',
			default: '',
			description: 'Name in the DC certificate, when the URL uses an IP address',
			displayOptions: ldaps,
		},
		{
			displayName: 'Skip TLS Verification (Unsafe)',
			name: 'allowUnverifiedTls',
			type: 'boolean',
			default: false,
			description: 'Whether to accept any certificate; off by default, and every connection logs a warning when on',
			displayOptions: ldaps,
		},
		{ displayName: 'SSH Host', name: 'sshHost', type: 'string', default: '', displayOptions: ssh },
		{ displayName: 'SSH Port', name: 'sshPort', type: 'number', default: 22, displayOptions: ssh },
		{ displayName: 'SSH User', name: 'sshUser', type: 'string', default: '', displayOptions: ssh },
		{ displayName: 'SSH Password', name: 'sshPassword', type: 'string', typeOptions: { password: true }, default: '', displayOptions: ssh },
		{ displayName: 'SSH Private Key', name: 'sshPrivateKey', type: 'string', typeOptions: { password: true, rows: 4 }, default: '', displayOptions: ssh },
		{
			displayName: 'Host Key Fingerprint',
			name: 'hostKeySha256',
			type: 'string',
			default: '',
			placeholder: 'SHA256:…',
			description: 'SHA256 fingerprint of the server host key (ssh-keygen -lf): any other key is refused',
			displayOptions: ssh,
		},
		{ displayName: 'PowerShell Executable', name: 'powershell', type: 'string', default: 'powershell.exe', displayOptions: ssh },
		{ displayName: 'Timeout (Ms)', name: 'timeoutMs', type: 'number', default: 15000 },
		// Privileged accounts (built-in Administrator, krbtgt, admin groups, adminCount=1) are always
		// refused, whatever these say: they only narrow what WIDIP may write further.
		{
			displayName: 'Protected Accounts',
			name: 'protectedAccounts',
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			placeholder: 'svc-sql, svc-backup',
			description:
				'Account names (sAMAccountName) WIDIP must never change, separated by commas or lines. Privileged accounts (built-in Administrator, krbtgt, members of admin groups, adminCount=1) are always protected.',
		},
		{
			displayName: 'Allowed OUs',
			name: 'allowedOus',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			placeholder: 'OU=EHPAD Bellevue,DC=widip,DC=test',
			description:
				'One OU DN per line: only accounts under these OUs may be changed, and accounts may only be moved or created into them. Empty: no restriction.',
		},
	];
}
