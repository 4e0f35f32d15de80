import { parseGpuProxyConfig } from '../../runtime/gpu/config';

/** WIDIP_GPU_* settings: clear errors naming the variable, never echoing a key. */
describe('GPU proxy configuration', () => {
	it('reads backends with slots, keys with their class, and the queue settings', () => {
		const config = parseGpuProxyConfig({
			WIDIP_GPU_BACKENDS: 'gpu0=http://10.0.0.5:11434*1, gpu1=http://10.0.0.6:11434/*2',
			WIDIP_GPU_KEYS: 'sentinel:proactif:k-sentinel-123456789,rag:batch:k-rag-with:colon',
			WIDIP_GPU_QUEUE_LIMIT: '32',
			WIDIP_GPU_MAX_WAIT_SECONDS: '90',
			WIDIP_GPU_KEEP_ALIVE: '30m',
		});
		expect(config.backends).toEqual([
			{ name: 'gpu0', url: 'http://10.0.0.5:11434', slots: 1 },
			{ name: 'gpu1', url: 'http://10.0.0.6:11434', slots: 2 },
		]);
		expect(config.keys).toEqual([
			{ name: 'sentinel', priority: 'proactif', key: 'k-sentinel-123456789' },
			{ name: 'rag', priority: 'batch', key: 'k-rag-with:colon' },
		]);
		expect(config.scheduler).toMatchObject({ queueLimit: 32, maxWaitMs: 90_000, agingMs: 30_000 });
		expect(config.keepAlive).toBe('30m');
		expect(parseGpuProxyConfig({ WIDIP_GPU_BACKENDS: 'g=http://h:1', WIDIP_GPU_KEEP_ALIVE: '-1' }).keepAlive).toBe(-1);
	});

	it('names what is wrong, without echoing keys', () => {
		expect(() => parseGpuProxyConfig({})).toThrow(/WIDIP_GPU_BACKENDS/);
		expect(() => parseGpuProxyConfig({ WIDIP_GPU_BACKENDS: 'ftp://x' })).toThrow(/WIDIP_GPU_BACKENDS: entry 1 is not name=http/);
		expect(() => parseGpuProxyConfig({ WIDIP_GPU_BACKENDS: 'g=http://h:1', WIDIP_GPU_QUEUE_LIMIT: '0' })).toThrow(/WIDIP_GPU_QUEUE_LIMIT/);
		const bad = (() => {
			try {
				parseGpuProxyConfig({ WIDIP_GPU_BACKENDS: 'g=http://h:1', WIDIP_GPU_KEYS: 'sentinel:urgent:super-secret-key' });
			} catch (error) {
				return (error as Error).message;
			}
			return '';
		})();
		expect(bad).toMatch(/WIDIP_GPU_KEYS entry 1 is not name:proactif\|assist\|batch:key/);
		expect(bad).not.toContain('super-secret-key');
	});
});
