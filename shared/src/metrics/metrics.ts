import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per service (several share a process in the all-in-one mode). */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly operations: Counter<'operation' | 'type' | 'outcome'>;
  readonly operationDuration: Histogram<'operation' | 'type'>;
  readonly inFlight: Gauge;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'HTTP requests being answered', registers: [this.registry] });
    this.operations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations by outcome (ok, error)',
      labelNames: ['operation', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.operationDuration = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation latency',
      labelNames: ['operation', 'type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[] = [], buckets?: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) });
  }
}
