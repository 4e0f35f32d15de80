import type { AnyOperation } from '../catalogue/operation';

export const phibeeOperations: AnyOperation[] = [];
