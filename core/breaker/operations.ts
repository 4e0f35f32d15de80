import type { AnyOperation } from '../catalogue/operation';

export const breakerOperations: AnyOperation[] = [];
