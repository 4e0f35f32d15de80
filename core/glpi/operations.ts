import type { AnyOperation } from '../catalogue/operation';

export const glpiOperations: AnyOperation[] = [];
