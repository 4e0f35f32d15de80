import type { AnyOperation } from '../catalogue/operation';

export const incidentOperations: AnyOperation[] = [];
