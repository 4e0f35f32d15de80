import type { AnyOperation } from '../catalogue/operation';

export const observiumOperations: AnyOperation[] = [];
