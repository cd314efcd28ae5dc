import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OperationDefinitionNode } from 'graphql';

/**
 * One Prometheus registry per service (several share a process in the all-in-one mode). Every label takes values
 * from a bounded set — never the client-chosen operation name, which would let any caller create series at will.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  /** By the operation's first root field (a schema field name) and type. */
  readonly operations: Counter<'root_field' | 'type' | 'outcome'>;
  readonly operationDuration: Histogram<'root_field' | 'type'>;
  /** Operations refused by a request limit (shared/src/graphql/operation-limits.ts), by limit. */
  readonly refusedOperations: Counter<'limit'>;
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
      help: 'GraphQL operations by first root field, type and outcome (ok, error)',
      labelNames: ['root_field', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.operationDuration = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'GraphQL operation latency',
      labelNames: ['root_field', 'type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.refusedOperations = new Counter({
      name: 'graphql_operations_refused_total',
      help: 'GraphQL operations refused by a request limit before validation and planning',
      labelNames: ['limit'],
      registers: [this.registry],
    });
  }

  counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => number): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  histogram<L extends string>(name: string, help: string, labelNames: L[] = [], buckets?: number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) });
  }
}

/**
 * The metric label of an operation: its first root field's name. Apollo resolves the operation only after the
 * document validated against the schema, so the name is one of the schema's fields (or a meta field), never free text.
 */
export function rootFieldLabel(operation: OperationDefinitionNode | undefined | null): string {
  if (!operation) return 'unresolved';
  const field = operation.selectionSet.selections.find((s) => s.kind === 'Field');
  return field?.kind === 'Field' ? field.name.value : 'fragment';
}
