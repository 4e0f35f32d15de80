import type { AnyOperation } from '../catalogue/operation';

export const mailOperations: AnyOperation[] = [];
