import { createAdClient } from '../../core/ad/factory';
import type { ServiceClients } from '../../core/catalogue/services';
import { WidipError } from '../../core/errors';
import { GlpiClient } from '../../core/glpi/client';
import { silentLogger, type Logger } from '../../core/logger';
import { MailClient } from '../../core/mail/client';
import { MySecretClient } from '../../core/mysecret/client';
import { ObserviumClient } from '../../core/observium/client';
import { PhibeeClient } from '../../core/phibee/client';
import type { Coordination } from '../../core/redis/coordination';
import {
	CONFIGURABLE_SERVICES,
	describeServiceSettings,
	PLATFORM_SERVICES,
	type ConfigurableService,
	type PlatformService,
	type ServiceName,
	type ServiceSettings,
} from './settings';

export interface ServiceHubOptions {
	logger?: Logger;
	/** The runtime's own Redis connection; the hub lends it to operations and never closes it. */
	coordination?: Coordination;
}

type Configured = ServiceClients[ConfigurableService];

/**
 * The runtime's service clients, built from its own settings with the nodes' client classes (same
 * deadlines, retries and error mapping). Each client is made on first use and then reused by every
 * call, so the GLPI client keeps its session; close() closes each one once (GLPI: killSession).
 */
export class ServiceHub {
	private readonly made = new Map<ConfigurableService, Configured>();
	private closing?: Promise<void>;
	private readonly logger: Logger;

	constructor(
		private readonly settings: ServiceSettings,
		private readonly options: ServiceHubOptions = {},
	) {
		this.logger = options.logger ?? silentLogger;
	}

	/** Services operations can use: the platform's (Redis) when a Coordination was given, then those configured. */
	configured(): ServiceName[] {
		const services: ServiceName[] = this.options.coordination ? [...PLATFORM_SERVICES] : [];
		return [...services, ...CONFIGURABLE_SERVICES.filter((service) => this.settings[service] !== undefined)];
	}

	/** The client of one service, made on first use; undefined when the service is not configured. */
	client<K extends ServiceName>(service: K): ServiceClients[K] | undefined {
		if (this.closing) {
			throw new WidipError('unavailable', `the runtime's service connections are closed; ${service} is no longer available`, { service });
		}
		if ((PLATFORM_SERVICES as readonly string[]).includes(service)) return this.options.coordination as ServiceClients[K] | undefined;
		const name = service as ConfigurableService;
		let client = this.made.get(name);
		if (!client) {
			client = this.create(name);
			if (!client) return undefined;
			this.made.set(name, client);
			this.logger.debug('service client ready', { service: name });
		}
		return client as ServiceClients[K];
	}

	/**
	 * What `catalogue.run(id, args, hub.clients())` takes: one property per configured service whose
	 * client is made when an operation first reads it.
	 */
	clients(): Partial<ServiceClients> {
		const clients: Partial<ServiceClients> = {};
		for (const service of this.configured()) {
			Object.defineProperty(clients, service, { enumerable: true, get: () => this.client(service) });
		}
		return clients;
	}

	/** Service → host (no path, user or key): safe to log. */
	describe(): Record<ServiceName, string> {
		const redis = this.options.coordination?.config;
		const where = redis ? `${redis.host}:${redis.port}` : 'not configured';
		const platform = Object.fromEntries(PLATFORM_SERVICES.map((service) => [service, where])) as Record<PlatformService, string>;
		return { ...platform, ...describeServiceSettings(this.settings) };
	}

	/** Closes every client made, once; later calls wait for the same close. Redis stays open (its owner closes it). */
	close(): Promise<void> {
		this.closing ??= (async () => {
			const made = [...this.made.entries()];
			this.made.clear();
			await Promise.all(
				made.map(async ([service, client]) => {
					try {
						await client.close();
					} catch (error) {
						// Clients' errors name the service and the failure, never a credential.
						this.logger.warn('service client did not close cleanly', { service, error: (error as Error).message });
					}
				}),
			);
		})();
		return this.closing;
	}

	private create(service: ConfigurableService): Configured | undefined {
		const { logger, settings } = this;
		switch (service) {
			case 'glpi':
				// GLPI calls go through the shared breaker (default settings) when the runtime has its Redis.
				return settings.glpi && new GlpiClient(settings.glpi, logger, { circuit: this.options.coordination?.breakers.circuit('glpi') });
			case 'observium':
				return settings.observium && new ObserviumClient(settings.observium, logger);
			case 'phibee':
				return settings.phibee && new PhibeeClient(settings.phibee, logger);
			case 'mysecret':
				return settings.mysecret && new MySecretClient(settings.mysecret, logger);
			case 'mail':
				return settings.mail && new MailClient(settings.mail, logger);
			case 'ad':
				// As in the node: with MySecret configured, reset passwords can be delivered as links.
				return settings.ad && createAdClient(settings.ad, { mysecret: this.client('mysecret'), logger });
		}
	}
}
