import { GpuScheduler, SchedulerError, type Backend, type Grant, type JobRequest, type SchedulerOptions } from '../../runtime/gpu/scheduler';
import { LocalSlots } from '../../runtime/gpu/slots';

/** The queue's rules, with a hand-driven clock: order, ageing, affinity, limits, abort. */
describe('GpuScheduler', () => {
	let clock = 0;
	const options = (extra: Partial<SchedulerOptions> = {}): SchedulerOptions => ({
		queueLimit: 100,
		maxWaitMs: 60_000,
		agingMs: 10_000,
		affinityWindowMs: 0,
		now: () => clock,
		...extra,
	});
	const backend = (name = 'gpu0', slots = 1, models?: string[]): Backend => ({
		name,
		url: `http://${name}`,
		pool: new LocalSlots(slots),
		running: 0,
		models: models ? new Set(models) : undefined,
	});
	const flush = () => new Promise((resolve) => setImmediate(resolve));

	beforeEach(() => {
		clock = 0;
	});

	/** Starts jobs in order (clock advancing 1 ms each) and records the order they are granted in. */
	async function grantOrder(scheduler: GpuScheduler, jobs: Array<Omit<JobRequest, 'client'> & { name: string }>, tick = 1) {
		const order: string[] = [];
		const granted: Grant[] = [];
		const holder = await scheduler.acquire({ priority: 'assist', model: 'm', client: 'holder' });
		const grants = jobs.map((job) => {
			clock += tick;
			return scheduler.acquire({ ...job, client: job.name }).then((grant) => {
				order.push(job.name);
				granted.push(grant);
				return grant;
			});
		});
		holder.release();
		for (let i = 0; i < jobs.length; i++) {
			await flush();
			// One slot: exactly one job runs at a time; finishing it lets the next one in.
			expect(granted).toHaveLength(i + 1);
			granted[i].release();
		}
		await Promise.all(grants);
		return order;
	}

	it('serves by class, then arrival (FIFO within a class)', async () => {
		const scheduler = new GpuScheduler([backend()], options());
		const order = await grantOrder(scheduler, [
			{ name: 'batch-1', priority: 'batch', model: 'm' },
			{ name: 'assist-1', priority: 'assist', model: 'm' },
			{ name: 'proactif-1', priority: 'proactif', model: 'm' },
			{ name: 'assist-2', priority: 'assist', model: 'm' },
			{ name: 'proactif-2', priority: 'proactif', model: 'm' },
		]);
		expect(order).toEqual(['proactif-1', 'proactif-2', 'assist-1', 'assist-2', 'batch-1']);
	});

	it('ageing lifts a long-waiting batch job above newer high-priority work', async () => {
		const scheduler = new GpuScheduler([backend()], options({ agingMs: 10_000 }));
		// The batch job waited 25 s: two classes up, level with proactif, and older.
		const order = await grantOrder(
			scheduler,
			[
				{ name: 'batch-old', priority: 'batch', model: 'm' },
				{ name: 'proactif-new', priority: 'proactif', model: 'm' },
			],
			25_000,
		);
		expect(order).toEqual(['batch-old', 'proactif-new']);
	});

	it('prefers the loaded model only within the affinity window and never across classes', async () => {
		const make = () => new GpuScheduler([backend()], options({ affinityWindowMs: 5 }));
		// The holder ran model "m", so "m" is loaded.
		const within = await grantOrder(make(), [
			{ name: 'assist-x', priority: 'assist', model: 'x' },
			{ name: 'assist-m', priority: 'assist', model: 'm' },
		]);
		expect(within).toEqual(['assist-m', 'assist-x']);
		const outside = await grantOrder(make(), [
			{ name: 'assist-x', priority: 'assist', model: 'x' },
			{ name: 'assist-m', priority: 'assist', model: 'm' },
		], 10);
		expect(outside).toEqual(['assist-x', 'assist-m']);
		const acrossClasses = await grantOrder(make(), [
			{ name: 'proactif-x', priority: 'proactif', model: 'x' },
			{ name: 'assist-m', priority: 'assist', model: 'm' },
		]);
		expect(acrossClasses).toEqual(['proactif-x', 'assist-m']);
	});

	it('refuses at once past the queue limit, and after the maximum wait', async () => {
		const scheduler = new GpuScheduler([backend()], options({ queueLimit: 2, maxWaitMs: 50 }));
		const holder = await scheduler.acquire({ priority: 'assist', model: 'm', client: 'h' });
		const waiting = [scheduler.acquire({ priority: 'assist', model: 'm', client: 'a' }), scheduler.acquire({ priority: 'assist', model: 'm', client: 'b' })];
		await expect(scheduler.acquire({ priority: 'proactif', model: 'm', client: 'c' })).rejects.toMatchObject({ reason: 'queue_full', retryAfterSeconds: expect.any(Number) });
		for (const job of waiting) await expect(job).rejects.toMatchObject({ reason: 'max_wait' });
		expect(scheduler.depth).toBe(0);
		holder.release();
	});

	it('drops a queued job whose client went away: it never gets a slot', async () => {
		const scheduler = new GpuScheduler([backend()], options());
		const holder = await scheduler.acquire({ priority: 'assist', model: 'm', client: 'h' });
		const controller = new AbortController();
		const gone = scheduler.acquire({ priority: 'proactif', model: 'm', client: 'gone', signal: controller.signal });
		const next = scheduler.acquire({ priority: 'batch', model: 'm', client: 'next' });
		controller.abort();
		await expect(gone).rejects.toBeInstanceOf(SchedulerError);
		holder.release();
		expect((await next).backend.name).toBe('gpu0');
	});

	it('sends a job to a backend that has its model and a free slot; never more than its slots', async () => {
		const small = backend('small', 1, ['qwen']);
		const big = backend('big', 2, ['qwen', 'llama']);
		const scheduler = new GpuScheduler([small, big], options());
		const grants: Grant[] = await Promise.all([
			scheduler.acquire({ priority: 'assist', model: 'llama', client: 'a' }),
			scheduler.acquire({ priority: 'assist', model: 'qwen', client: 'b' }),
			scheduler.acquire({ priority: 'assist', model: 'qwen', client: 'c' }),
		]);
		expect(grants.map((grant) => grant.backend.name).sort()).toEqual(['big', 'big', 'small']);
		expect(grants[0].backend.name).toBe('big');
		const fourth = scheduler.acquire({ priority: 'assist', model: 'qwen', client: 'd' });
		await flush();
		expect(scheduler.depth).toBe(1);
		expect(small.running + big.running).toBe(3);
		grants[0].release();
		expect((await fourth).backend.name).toBe('big');
	});
});
