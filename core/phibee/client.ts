/** Placeholder: replaced by the real phibee client. */
export class PhibeeClient {
	async close(): Promise<void> {}
}
