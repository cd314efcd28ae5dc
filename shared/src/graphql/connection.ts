import { Field, ObjectType } from 'type-graphql';
import { PageInfo } from './common-types';
import type { Page } from './keyset-pages';
import type { Class } from '../types';

export interface Edge<TNode> {
  cursor: string;
  node: TNode;
}

export interface Connection<TNode> {
  edges: Edge<TNode>[];
  pageInfo: PageInfo;
}

export interface ConnectionType<TNode> {
  /** The `<Name>Connection` object type, for `@FieldResolver(() => LedgerConnection)`. */
  new (): Connection<TNode>;
  /** The `<Name>Edge` object type. */
  readonly Edge: new () => Edge<TNode>;
  /** A page of rows (KeysetPages) as this connection, each row turned into its node. */
  from<Row>(page: Page<Row>, toNode: (row: Row) => TNode): Connection<TNode>;
}

/**
 * The contract's connection shape for a node type: `<name>Connection { edges: [<name>Edge!]! pageInfo: PageInfo! }`
 * and `<name>Edge { cursor: String! node: <Node>! }`, e.g. `connectionType(LedgerEntry, 'Ledger')` makes
 * LedgerConnection and LedgerEdge. Call it once per name, at module level (type-graphql registers types globally).
 */
export function connectionType<TNode extends object>(node: Class<TNode>, name: string): ConnectionType<TNode> {
  @ObjectType(`${name}Edge`)
  class EdgeType implements Edge<TNode> {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: TNode;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionClass implements Connection<TNode> {
    static readonly Edge = EdgeType;

    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    static from<Row>(page: Page<Row>, toNode: (row: Row) => TNode): ConnectionClass {
      return Object.assign(new ConnectionClass(), {
        edges: page.edges.map((edge) => Object.assign(new EdgeType(), { cursor: edge.cursor, node: toNode(edge.node) })),
        pageInfo: Object.assign(new PageInfo(), page.pageInfo),
      });
    }
  }
  return ConnectionClass;
}
