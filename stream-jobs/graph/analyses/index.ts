/** Graph analyses over the service graph: pure functions, plain JSON-able results. */
export * from './anomaly.ts';
export * from './betweenness.ts';
export * from './blast-radius.ts';
export * from './bottlenecks.ts';
export * from './centrality.ts';
export * from './communities.ts';
export * from './critical-path.ts';
export * from './dependencies.ts';
export * from './errors.ts';
export * from './root-cause.ts';
export * from './spof.ts';
export { type Quantile, quantiles } from './validate.ts';
