import { adOperations } from '../ad/operations';
import { breakerOperations } from '../breaker/operations';
import { claimOperations } from '../claim/operations';
import { glpiOperations } from '../glpi/operations';
import { incidentOperations } from '../incident/operations';
import { mailOperations } from '../mail/operations';
import { mySecretOperations } from '../mysecret/operations';
import { observiumOperations } from '../observium/operations';
import { phibeeOperations } from '../phibee/operations';
import { redisOperations } from '../redis/operations';
import type { AnyOperation } from './operation';
import { OperationRegistry } from './registry';

/** Every operation of the product, one service after another. Add a service's list here. */
export const OPERATIONS: readonly AnyOperation[] = [
	...glpiOperations,
	...observiumOperations,
	...phibeeOperations,
	...mySecretOperations,
	...mailOperations,
	...adOperations,
	...redisOperations,
	...incidentOperations,
	...breakerOperations,
	...claimOperations,
];

export const catalogue = new OperationRegistry(OPERATIONS);

export { defineOperation, mcpToolName, operationLabel, SAFEGUARD_LEVELS, SERVICE_TITLES } from './operation';
export type { AnyOperation, Operation, SafeguardLevel } from './operation';
export { OperationRegistry, describeIssues } from './registry';
