import {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLField,
  GraphQLSchema,
  Kind,
  SelectionSetNode,
  ValidationRule,
  getNamedType,
  getNullableType,
  isListType,
  parse,
  validate,
} from 'graphql';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { createComplexityRule, ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';
import { currentLanguage } from '../http/request-store';
import type { Texts } from '../i18n/language';
import { DEFAULT_PAGE_SIZE } from './pagination';

/**
 * What one operation may ask for. The gateway applies these to what clients send; each subgraph applies a looser
 * backstop (`subgraphBackstop`) to what reaches it, so a planner surprise or a caller holding the internal token
 * cannot ask a subgraph for unbounded work either.
 */
export interface OperationLimitSettings {
  /** Lexical tokens of the document: the parser stops at the first one over (GRAPHQL_MAX_TOKENS). */
  maxTokens: number;
  /** Field selections, fragments counted where they are spread (GRAPHQL_MAX_FIELDS). */
  maxFields: number;
  /**
   * The same response key selected at the same place this many times at most (GRAPHQL_MAX_FIELD_REPEATS). graphql-js's
   * OverlappingFieldsCanBeMerged compares every pair of them, so 4,000 copies of one field cost seconds of validation.
   */
  maxRepeats: number;
  /** Nesting of fields; fragments add no level of their own (GRAPHQL_MAX_DEPTH). */
  maxDepth: number;
  /** Aliases other than of __typename (GRAPHQL_MAX_ALIASES). */
  maxAliases: number;
  /** Directives (GRAPHQL_MAX_DIRECTIVES). */
  maxDirectives: number;
  /** Estimated cost (GRAPHQL_MAX_COST); see `operationCostEstimator`. */
  maxCost: number;
  /** Expected length of a list field the table does not name (GRAPHQL_DEFAULT_LIST_SIZE). */
  defaultListSize: number;
  /** Expected length of plain list fields, by `Type.field`. */
  listSizes?: Readonly<Record<string, number>>;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimitSettings = {
  maxTokens: 3000,
  maxFields: 500,
  maxRepeats: 10,
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 20,
  maxCost: 10_000,
  defaultListSize: 10,
};

/**
 * The subgraphs' guard, derived from the gateway's settings: the gateway's plan for an operation within its limits
 * must pass (the `_entities` wrapper adds a level, planner-added __typename/key fields add fields, and `_entities`
 * is costed by the actual number of representations), while a caller of a subgraph still cannot ask for unbounded work.
 */
export function subgraphBackstop(gateway: OperationLimitSettings): OperationLimitSettings {
  return {
    maxTokens: gateway.maxTokens * 2,
    maxFields: gateway.maxFields * 2,
    maxRepeats: gateway.maxRepeats * 2,
    maxDepth: gateway.maxDepth + 2,
    // The query planner may alias fields of differing types; the gateway already bounds what clients alias.
    maxAliases: Math.max(gateway.maxAliases * 4, 100),
    maxDirectives: gateway.maxDirectives * 2,
    maxCost: gateway.maxCost * 10,
    defaultListSize: gateway.defaultListSize,
  };
}

/**
 * The limits the gateway's HTTP and websocket paths (and each subgraph's HTTP path) apply before an operation is
 * validated in full, planned or executed. Both methods are linear in the document.
 */
export interface OperationLimits {
  /** Parses with the token limit, then bounds fields and repeated fields; throws a GraphQLError (BAD_USER_INPUT). */
  parse(source: string): DocumentNode;
  /**
   * Depth, aliases, directives and cost (with the request's variables: `first: $n` counts as the value of $n). Errors
   * of the document or its variables are left to graphql-js's own validation and coercion, which run next; only
   * limits are reported here. Without `operationName`, every operation of the document is checked.
   */
  validate(schema: GraphQLSchema, document: DocumentNode, variables?: Record<string, unknown>, operationName?: string | null): readonly GraphQLError[];
}

export type OperationLimitName = 'tokens' | 'fields' | 'repeats' | 'depth' | 'aliases' | 'directives' | 'cost';

const texts: Record<OperationLimitName, Texts> = {
  tokens: {
    KK: 'Сұраныс тым ұзын: {max} лексемадан артық (шек: tokens)',
    RU: 'Запрос слишком длинный: больше {max} лексем (лимит tokens)',
    EN: 'The operation is too long: more than {max} tokens (limit: tokens)',
  },
  fields: {
    KK: 'Өрістер тым көп: {max}-ден артық, фрагменттер қолданылған жерінде саналады (шек: fields)',
    RU: 'Слишком много полей: больше {max}, фрагменты считаются там, где используются (лимит fields)',
    EN: 'Too many fields: more than {max}, fragments counted where they are spread (limit: fields)',
  },
  repeats: {
    KK: 'Бір өріс бір жерде {max} реттен артық таңдалған (шек: repeats)',
    RU: 'Одно и то же поле выбрано в одном месте больше {max} раз (лимит repeats)',
    EN: 'The same field is selected more than {max} times at one place (limit: repeats)',
  },
  depth: {
    KK: 'Сұраныс тым терең: тереңдігі {found}, рұқсат етілгені {max} (шек: depth)',
    RU: 'Запрос слишком глубокий: вложенность {found}, допустимо не более {max} (лимит depth)',
    EN: 'The operation is nested too deeply: depth {found}, at most {max} allowed (limit: depth)',
  },
  aliases: {
    KK: 'Бүркеншік аттар (alias) тым көп: {found}, рұқсат етілгені {max} (шек: aliases)',
    RU: 'Слишком много псевдонимов (alias): {found}, допустимо не более {max} (лимит aliases)',
    EN: 'Too many aliases: {found}, at most {max} allowed (limit: aliases)',
  },
  directives: {
    KK: 'Директивалар тым көп: {found}, рұқсат етілгені {max} (шек: directives)',
    RU: 'Слишком много директив: {found}, допустимо не более {max} (лимит directives)',
    EN: 'Too many directives: {found}, at most {max} allowed (limit: directives)',
  },
  cost: {
    KK: 'Сұраныс тым ауыр: бағалау {found}, рұқсат етілгені {max}; тізімдер first бойынша саналады (шек: cost)',
    RU: 'Запрос слишком тяжёлый: оценка {found}, допустимо не более {max}; списки считаются по first (лимит cost)',
    EN: 'The operation is too expensive: estimated cost {found}, at most {max} allowed; lists count by their first (limit: cost)',
  },
};

/**
 * A refused operation: BAD_USER_INPUT naming the limit. The DomainError travels as `originalError`, so the error
 * formatter words it in the caller's language wherever it is formatted (HTTP, websocket).
 */
export function operationLimitError(limit: OperationLimitName, max: number, found?: number | string): GraphQLError {
  const params: Record<string, number | string> = { max, ...(found === undefined ? {} : { found: typeof found === 'number' ? Math.round(found) : found }) };
  const domain = new DomainError(ErrorCode.BAD_USER_INPUT, { texts: texts[limit], params, extensions: { limit, ...params } });
  return new GraphQLError(domain.localizedMessage(currentLanguage()), {
    originalError: domain,
    extensions: { code: ErrorCode.BAD_USER_INPUT, limit, ...params, http: { status: 400 } },
  });
}

export function isOperationLimitError(error: unknown): boolean {
  return error instanceof GraphQLError && typeof error.extensions?.limit === 'string' && error.extensions.code === ErrorCode.BAD_USER_INPUT;
}

class LimitExceeded extends Error {
  constructor(readonly limit: 'fields' | 'repeats') {
    super(limit);
  }
}

interface ResponseNode {
  count: number;
  children: Map<string, ResponseNode> | null;
}

/**
 * Walks each operation with its fragments expanded, counting field selections and how often each response path is
 * selected; stops at the first limit passed, so a fragment that expands exponentially costs no more than the limit.
 * Fragments no operation spreads are walked on their own: validation still visits them.
 */
function boundSelections(document: DocumentNode, maxFields: number, maxRepeats: number): void {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const reached = new Set<string>();
  let fields = 0;
  // Spreads and inline fragments count towards the walk as well: a chain of them holds no field yet costs steps.
  let steps = 0;
  const walk = (selectionSet: SelectionSetNode, node: ResponseNode, active: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if ((steps += 1) > maxFields * 4) throw new LimitExceeded('fields');
      if (selection.kind === Kind.FIELD) {
        if ((fields += 1) > maxFields) throw new LimitExceeded('fields');
        const key = selection.alias?.value ?? selection.name.value;
        node.children ??= new Map();
        let child = node.children.get(key);
        if (!child) node.children.set(key, (child = { count: 0, children: null }));
        if ((child.count += 1) > maxRepeats) throw new LimitExceeded('repeats');
        if (selection.selectionSet) walk(selection.selectionSet, child, active);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, node, active);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        reached.add(name);
        // Unknown and cyclic spreads are validation's to refuse.
        if (!fragment || active.has(name)) continue;
        active.add(name);
        walk(fragment.selectionSet, node, active);
        active.delete(name);
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) walk(definition.selectionSet, { count: 0, children: null }, new Set());
  }
  for (const [name, fragment] of fragments) {
    if (!reached.has(name)) walk(fragment.selectionSet, { count: 0, children: null }, new Set([name]));
  }
}

/**
 * The cost of a field: 1, plus what it selects, times the number of items it stands for. A connection (a field
 * with a `first` argument) stands for `first` items, `DEFAULT_PAGE_SIZE` without one, and the `edges` list inside it
 * for one; `_entities` for its representations; any other list for `listSizes["Type.field"]`, or
 * `defaultListSize`. Introspection (refused in production; Sandbox needs it in development) is costed apart, by
 * `onIntrospection`: the standard introspection query costs about 50,000 and the operation budget does not count it,
 * while `fields { type { ofType { fields … } } }` grows tenfold a level and still meets a limit.
 */
export function operationCostEstimator(settings: Pick<OperationLimitSettings, 'defaultListSize' | 'listSizes'>, onIntrospection: (cost: number) => void = () => undefined) {
  return ({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number => {
    if (field.name === '__schema' || field.name === '__type') {
      onIntrospection(1 + childComplexity);
      return 0;
    }
    return itemsOf(type.name, field, args, settings) * (1 + childComplexity);
  };
}

/** How much more than `maxCost` introspection may cost: the standard introspection query, not a recursive one. */
export const INTROSPECTION_COST_FACTOR = 10;

function itemsOf(typeName: string, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>, settings: Pick<OperationLimitSettings, 'defaultListSize' | 'listSizes'>): number {
  if (field.args.some((a) => a.name === 'first') && getNamedType(field.type).name.endsWith('Connection')) {
    const first = args.first;
    return typeof first === 'number' && Number.isFinite(first) ? Math.max(1, first) : DEFAULT_PAGE_SIZE;
  }
  if (!isListType(getNullableType(field.type))) return 1;
  if (field.name === 'edges' && typeName.endsWith('Connection')) return 1;
  if (field.name === '_entities') return Array.isArray(args.representations) ? Math.max(1, args.representations.length) : settings.defaultListSize;
  return settings.listSizes?.[`${typeName}.${field.name}`] ?? settings.defaultListSize;
}

/** graphql-armor measures depth, aliases and directives; the limits are compared here, so refusals read alike. */
function armorMeasures(measured: { depth: number; aliases: number; directives: number }): ValidationRule[] {
  const record = (key: keyof typeof measured) => [
    (_ctx: unknown, details: { n: number }) => {
      measured[key] = Math.max(measured[key], details.n);
    },
  ];
  return new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { n: Number.POSITIVE_INFINITY, flattenFragments: true, ignoreIntrospection: true, onAccept: record('depth') },
    maxAliases: { n: Number.POSITIVE_INFINITY, onAccept: record('aliases') },
    maxDirectives: { n: Number.POSITIVE_INFINITY, onAccept: record('directives') },
  }).protect().validationRules;
}

export function createOperationLimits(settings: OperationLimitSettings): OperationLimits {
  return {
    parse(source) {
      let document: DocumentNode;
      try {
        document = parse(source, { maxTokens: settings.maxTokens });
      } catch (error) {
        // graphql-js's own wording for the token limit; any other syntax error is the parser's to report.
        if (error instanceof GraphQLError && /contains more th\w+ \d+ tokens/.test(error.message)) throw operationLimitError('tokens', settings.maxTokens);
        throw error;
      }
      try {
        boundSelections(document, settings.maxFields, settings.maxRepeats);
      } catch (error) {
        if (error instanceof LimitExceeded) throw operationLimitError(error.limit, error.limit === 'fields' ? settings.maxFields : settings.maxRepeats);
        throw error;
      }
      return document;
    },

    validate(schema, document, variables = {}, operationName) {
      const measured = { depth: 0, aliases: 0, directives: 0 };
      let cost = 0;
      let introspectionCost = 0;
      let costUnbounded = false;
      const estimator = operationCostEstimator(settings, (c) => {
        introspectionCost += c;
      });
      // The operation that will run, with the fragments: another operation of the document never runs with it.
      const chosen = operationName ? document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === operationName) : undefined;
      const measuredDocument: DocumentNode = chosen
        ? { ...document, definitions: document.definitions.filter((d) => d.kind !== Kind.OPERATION_DEFINITION || d === chosen) }
        : document;
      const complexity = createComplexityRule({
        maximumComplexity: Number.MAX_SAFE_INTEGER,
        estimators: [estimator],
        variables,
        // Fragments spread many times are costed each time; past this the operation is over budget anyway.
        maxQueryNodes: settings.maxFields * 4,
        onComplete: (total) => {
          cost = total;
        },
      });
      try {
        // Only these rules: the full validation (and its reports on bad variables) comes after the limits.
        validate(schema, measuredDocument, [...armorMeasures(measured), complexity]);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        costUnbounded = true; // graphql-query-complexity's node limit
      }
      const errors: GraphQLError[] = [];
      if (measured.depth > settings.maxDepth) errors.push(operationLimitError('depth', settings.maxDepth, measured.depth));
      if (measured.aliases > settings.maxAliases) errors.push(operationLimitError('aliases', settings.maxAliases, measured.aliases));
      if (measured.directives > settings.maxDirectives) errors.push(operationLimitError('directives', settings.maxDirectives, measured.directives));
      if (costUnbounded || cost > settings.maxCost) errors.push(operationLimitError('cost', settings.maxCost, costUnbounded ? `> ${settings.maxCost}` : cost));
      else if (introspectionCost > settings.maxCost * INTROSPECTION_COST_FACTOR) {
        errors.push(operationLimitError('cost', settings.maxCost * INTROSPECTION_COST_FACTOR, introspectionCost));
      }
      return errors;
    },
  };
}
