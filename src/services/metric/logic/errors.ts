import { StratusError } from '../../../core/errors.js';

/** Gnocchi's error messages (gnocchiclient matches some of them to exception classes). */
export const invalidInput = (detail: string) => new StratusError('BadRequest', `Invalid input: ${detail}`, 'InvalidInput');
export const denied = () => new StratusError('Forbidden', 'Access was denied to this resource.', 'AccessDenied');
export const policyNotFound = (name: string) => new StratusError('NotFound', `Archive policy ${name} does not exist`, 'NoSuchArchivePolicy');
export const policyExists = (name: string) => new StratusError('Conflict', `Archive policy ${name} already exists`, 'ArchivePolicyAlreadyExists');
export const policyInUse = (name: string) => new StratusError('BadRequest', `Archive policy ${name} is still in use`, 'ArchivePolicyInUse');
export const ruleNotFound = (name: string) => new StratusError('NotFound', `Archive policy rule ${name} does not exist`, 'NoSuchArchivePolicyRule');
export const ruleExists = (name: string) => new StratusError('Conflict', `Archive policy rule ${name} already exists`, 'ArchivePolicyRuleAlreadyExists');
export const typeNotFound = (name: string) => new StratusError('NotFound', `Resource type ${name} does not exist`, 'NoSuchResourceType');
export const typeExists = (name: string) => new StratusError('Conflict', `Resource type ${name} already exists`, 'ResourceTypeAlreadyExists');
export const typeInUse = (name: string) => new StratusError('BadRequest', `Resource type ${name} is still in use`, 'ResourceTypeInUse');
export const resourceNotFound = (id: string) => new StratusError('NotFound', `Resource ${id} does not exist`, 'NoSuchResource');
export const resourceExists = (id: string) => new StratusError('Conflict', `Resource ${id} already exists`, 'ResourceAlreadyExists');
export const metricNotFound = (id: string) => new StratusError('NotFound', `Metric ${id} does not exist`, 'NoSuchMetric');
export const namedMetricExists = (name: string) => new StratusError('Conflict', `Named metric ${name} already exists`, 'NamedMetricAlreadyExists');
export const aggregationNotFound = (method: string, granularityMs: number, metricId: string) =>
  new StratusError('NotFound', `Aggregation method '${method}' at granularity '${(granularityMs / 1000).toFixed(1)}' for metric ${metricId} does not exist`, 'AggregationDoesNotExist');
