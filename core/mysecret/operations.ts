import type { AnyOperation } from '../catalogue/operation';

export const mySecretOperations: AnyOperation[] = [];
