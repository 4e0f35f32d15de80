export { ServiceHub, type ServiceHubOptions } from './hub';
export {
	CONFIGURABLE_SERVICES,
	describeServiceSettings,
	loadServiceSettings,
	serviceSettingsFromSource,
	serviceVariables,
	type ConfigurableService,
	type ServiceName,
	type ServiceSettings,
	type Source,
} from './settings';
