import * as apolloGateway from '@apollo/gateway';
import type { GraphQLDataSource } from '@apollo/gateway';
import * as federationInternals from '@apollo/federation-internals';
import * as queryPlanner from '@apollo/query-planner';
import type { FetchNode, PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import {
  ArgumentNode,
  DocumentNode,
  ExecutionResult,
  FieldNode,
  GraphQLSchema,
  GraphQLString,
  Kind,
  OperationDefinitionNode,
  getNamedType,
  getNullableType,
  isObjectType,
  parse,
  print,
  valueFromAST,
} from 'graphql';
import { StartupError } from '@selfcare/shared';
import type { Logger } from '@selfcare/shared';

/** The fetch of the subscription's event: answered from the upstream event instead of a subgraph. */
const EVENT_SOURCE = '__subscription_event__';
/** Added to the upstream operation of resumable subscriptions (see `ResumePoint`). */
const RESUME_VARIABLE = 'gatewayResumeAfter__';
const RESUME_CURSOR = 'gatewayResumeCursor__';
const PLAN_CACHE_SIZE = 500;

type OperationContext = ReturnType<typeof apolloGateway.buildOperationContext>;
type RequestContext = Parameters<typeof apolloGateway.executeQueryPlan>[2];

/**
 * Where a subscription resumes after its subgraph's connection went away: the root field takes `after: String` and
 * its type has `cursor: String` (as `balanceChanged` and its `BalanceChange.cursor`). The upstream operation passes
 * `after` as a variable — the client's own, or one of the gateway's in place of a literal — and selects `cursor`
 * under an alias of the gateway's, so the gateway knows the newest cursor whatever the client selected.
 */
export interface ResumePoint {
  /** The root field's key in the upstream event's data. */
  responseKey: string;
  /** The upstream variable that carries `after`. */
  variable: string;
  /** Whether that variable is the client's (its value is the client's `after`), else the literal the client wrote. */
  clientVariable: boolean;
  literal: string | null;
}

export interface SubscriptionPlan {
  serviceName: string;
  /** The upstream operation (the plan's primary fetch, rewritten when resumable). */
  query: string;
  operationName?: string;
  /** The client's variables the upstream operation uses. */
  variableNames: string[];
  resume: ResumePoint | null;
  /** The rest of the plan, run for each event with the event as the primary fetch's result. */
  eventPlan: QueryPlan;
  operationContext: OperationContext;
}

/** A failure of the gateway's own (never the client's): reported as INTERNAL. */
export class SubscriptionExecutorError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'SubscriptionExecutorError';
  }
}

interface Packages {
  gateway: Partial<typeof apolloGateway>;
  federationInternals: Partial<typeof federationInternals>;
  queryPlanner: Partial<typeof queryPlanner>;
}

/**
 * What the executor needs from the Apollo packages, all package-root exports. Checked at start-up, so an upgrade
 * that drops one fails there with one line rather than at the first subscription.
 */
export function checkSubscriptionSupport(packages: Packages = { gateway: apolloGateway, federationInternals, queryPlanner }): void {
  const missing = [
    typeof packages.gateway.executeQueryPlan !== 'function' && '@apollo/gateway executeQueryPlan',
    typeof packages.gateway.buildOperationContext !== 'function' && '@apollo/gateway buildOperationContext',
    typeof packages.federationInternals.Supergraph?.build !== 'function' && '@apollo/federation-internals Supergraph.build',
    typeof packages.federationInternals.operationFromDocument !== 'function' && '@apollo/federation-internals operationFromDocument',
    typeof packages.queryPlanner.QueryPlanner !== 'function' && '@apollo/query-planner QueryPlanner',
  ].filter((name): name is string => Boolean(name));
  if (missing.length > 0) {
    throw new StartupError(`subscriptions need ${missing.join(', ')}, which the installed packages do not export; install the pinned versions (npm ci)`);
  }
}

/**
 * Plans and runs subscriptions through the public API of the Apollo packages: the supergraph, its API schema and a
 * query planner built from the supergraph SDL the gateway is given, and @apollo/gateway's `executeQueryPlan` for
 * what each event needs from other subgraphs. @apollo/gateway plans subscriptions but does not execute them.
 */
export class SubscriptionExecutor {
  /** The API schema, as graphql-js sees it: what client operations are validated against. */
  readonly schema: GraphQLSchema;
  private readonly apiSchema: federationInternals.Schema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: queryPlanner.QueryPlanner;
  private readonly plans = new Map<string, SubscriptionPlan>();

  private constructor(supergraph: federationInternals.Supergraph) {
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new queryPlanner.QueryPlanner(supergraph);
  }

  /**
   * Builds the executor and plans every subscription field once, so start-up fails with one line if the packages or
   * the supergraph do not give what execution needs (a subscription plan whose primary fetch goes to a known subgraph).
   */
  static load(supergraphSdl: string, subgraphNames: readonly string[]): SubscriptionExecutor {
    checkSubscriptionSupport();
    let executor: SubscriptionExecutor;
    try {
      executor = new SubscriptionExecutor(federationInternals.Supergraph.build(supergraphSdl));
    } catch (error) {
      throw new StartupError(`the supergraph cannot be loaded for subscriptions: ${oneLine(error)}`);
    }
    const subscriptionType = executor.schema.getSubscriptionType();
    for (const field of Object.values(subscriptionType?.getFields() ?? {})) {
      const variables = field.args.map((arg) => `$${arg.name}: ${arg.type.toString()}`).join(', ');
      const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
      const probe = `subscription${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''} { __typename } }`;
      let plan: SubscriptionPlan;
      try {
        plan = executor.plan(parse(probe), undefined);
      } catch (error) {
        throw new StartupError(`subscription field ${field.name} cannot be planned: ${oneLine(error)}`);
      }
      if (!subgraphNames.includes(plan.serviceName)) {
        throw new StartupError(`subscription field ${field.name} is served by subgraph "${plan.serviceName}", which has no configured URL`);
      }
    }
    return executor;
  }

  /** The plan of a validated subscription document (cached by its text and operation name). */
  plan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    const key = `${operationName ?? ''}\u0000${document.loc?.source.body ?? print(document)}`;
    const cached = this.plans.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting keeps the most used plans out of eviction.
      this.plans.delete(key);
      this.plans.set(key, cached);
      return cached;
    }
    const plan = this.buildPlan(document, operationName);
    this.plans.set(key, plan);
    if (this.plans.size > PLAN_CACHE_SIZE) this.plans.delete(this.plans.keys().next().value!);
    return plan;
  }

  /** The newest cursor an upstream event carries (resumable plans), and the event without the gateway's alias. */
  static cursorOf(plan: SubscriptionPlan, data: Record<string, unknown>): { cursor: string | null; data: Record<string, unknown> } {
    if (!plan.resume) return { cursor: null, data };
    const root = data[plan.resume.responseKey];
    if (!root || typeof root !== 'object') return { cursor: null, data };
    const { [RESUME_CURSOR]: cursor, ...rest } = root as Record<string, unknown>;
    return { cursor: typeof cursor === 'string' ? cursor : null, data: { ...data, [plan.resume.responseKey]: rest } };
  }

  /** The client's own `after` (from its variables or an inline literal): where the subscription starts. */
  static initialAfter(plan: SubscriptionPlan, variables: Record<string, unknown>): string | null {
    if (!plan.resume) return null;
    if (!plan.resume.clientVariable) return plan.resume.literal;
    const value = variables[plan.resume.variable];
    return typeof value === 'string' ? value : null;
  }

  /** The upstream variables: the client's that the operation uses, with `after` set to `resumeAfter` when given. */
  static upstreamVariables(plan: SubscriptionPlan, variables: Record<string, unknown>, resumeAfter: string | null): Record<string, unknown> {
    const own: Record<string, unknown> = Object.fromEntries(plan.variableNames.filter((name) => name in variables).map((name) => [name, variables[name]]));
    if (!plan.resume) return own;
    own[plan.resume.variable] = resumeAfter ?? SubscriptionExecutor.initialAfter(plan, variables);
    return own;
  }

  /** The client's result for one upstream event: the rest of the plan run with the event as the primary fetch's data. */
  async execute(options: {
    plan: SubscriptionPlan;
    data: Record<string, unknown>;
    services: Record<string, GraphQLDataSource>;
    request: RequestContext['request'];
    context: Record<string, unknown>;
    logger: Logger;
  }): Promise<ExecutionResult> {
    const source: GraphQLDataSource = { process: async () => ({ data: options.data }) };
    try {
      const result = await apolloGateway.executeQueryPlan(
        options.plan.eventPlan,
        { ...options.services, [EVENT_SOURCE]: source },
        { request: options.request, context: options.context, metrics: {}, logger: options.logger } as unknown as RequestContext,
        options.plan.operationContext,
        this.supergraphSchema,
        this.apiSchema,
      );
      return result as ExecutionResult;
    } catch (error) {
      throw new SubscriptionExecutorError('executing the rest of a subscription plan failed', error);
    }
  }

  private buildPlan(document: DocumentNode, operationName: string | undefined): SubscriptionPlan {
    let plan: QueryPlan;
    try {
      const operation = federationInternals.operationFromDocument(this.apiSchema, document, operationName ? { operationName } : {});
      plan = this.planner.buildQueryPlan(operation);
    } catch (error) {
      // The document passed validation: a planner failure is the gateway's problem, not the client's.
      throw new SubscriptionExecutorError('planning a subscription failed', error);
    }
    const node = plan.node as SubscriptionNode | PlanNode | undefined;
    if (node?.kind !== 'Subscription') throw new SubscriptionExecutorError(`the planner gave a ${node?.kind ?? 'empty'} plan for a subscription`);
    const primary: FetchNode = node.primary;
    const eventFetch = { ...primary, serviceName: EVENT_SOURCE } as PlanNode;
    const rewritten = this.resumable(primary.operation);
    return {
      serviceName: primary.serviceName,
      query: rewritten?.query ?? primary.operation,
      ...(primary.operationName ? { operationName: primary.operationName } : {}),
      variableNames: primary.variableUsages ?? [],
      resume: rewritten?.resume ?? null,
      eventPlan: { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [eventFetch, node.rest] } : eventFetch },
      operationContext: apolloGateway.buildOperationContext({ schema: this.schema, operationDocument: document, ...(operationName ? { operationName } : {}) }),
    };
  }

  /**
   * The primary operation rewritten to resume (see `ResumePoint`), or null when its root field takes no `after`, its
   * type has no `cursor`, or the operation does not have the plain shape the planner gives.
   */
  private resumable(operation: string): { query: string; resume: ResumePoint } | null {
    const document = parse(operation);
    const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const root = definition?.selectionSet.selections.length === 1 ? definition.selectionSet.selections[0] : undefined;
    if (!definition || root?.kind !== Kind.FIELD || root.directives?.length || !root.selectionSet) return null;
    const field = this.schema.getSubscriptionType()?.getFields()[root.name.value];
    const after = field?.args.find((arg) => arg.name === 'after');
    const type = field ? getNamedType(field.type) : undefined;
    const cursor = type && isObjectType(type) ? type.getFields().cursor : undefined;
    if (!after || getNullableType(after.type) !== GraphQLString || !cursor || getNullableType(cursor.type) !== GraphQLString) return null;

    const given = root.arguments?.find((arg) => arg.name.value === 'after')?.value;
    let resume: ResumePoint;
    let argumentsOfRoot = root.arguments ?? [];
    let variableDefinitions = definition.variableDefinitions ?? [];
    if (given?.kind === Kind.VARIABLE) {
      // The client's variable: resuming sets its value. Not if the operation uses it anywhere else too.
      const name = given.name.value;
      if ((operation.match(new RegExp(`\\$${name}\\b`, 'g')) ?? []).length !== 2) return null;
      resume = { responseKey: root.alias?.value ?? root.name.value, variable: name, clientVariable: true, literal: null };
    } else {
      if (variableDefinitions.some((v) => v.variable.name.value === RESUME_VARIABLE)) return null;
      const literal = given ? valueFromAST(given, GraphQLString) : null;
      resume = { responseKey: root.alias?.value ?? root.name.value, variable: RESUME_VARIABLE, clientVariable: false, literal: typeof literal === 'string' ? literal : null };
      const variable = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: RESUME_VARIABLE } } as const;
      argumentsOfRoot = [...argumentsOfRoot.filter((arg) => arg.name.value !== 'after'), { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'after' }, value: variable } as ArgumentNode];
      variableDefinitions = [...variableDefinitions, { kind: Kind.VARIABLE_DEFINITION, variable, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } } }];
    }
    const cursorField: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: RESUME_CURSOR }, name: { kind: Kind.NAME, value: 'cursor' } };
    const rewrittenRoot: FieldNode = { ...root, arguments: argumentsOfRoot, selectionSet: { ...root.selectionSet, selections: [...root.selectionSet.selections, cursorField] } };
    const rewritten: OperationDefinitionNode = { ...definition, variableDefinitions, selectionSet: { ...definition.selectionSet, selections: [rewrittenRoot] } };
    return { query: print({ ...document, definitions: document.definitions.map((d) => (d === definition ? rewritten : d)) }), resume };
  }
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

