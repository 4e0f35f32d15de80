import type { AnyOperation } from '../catalogue/operation';

export const claimOperations: AnyOperation[] = [];
