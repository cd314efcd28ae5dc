import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { connectionType } from '@selfcare/shared';
import { StatementFormat, StatementStatus } from './entities';

registerEnumType(StatementFormat, { name: 'StatementFormat' });
registerEnumType(StatementStatus, { name: 'StatementStatus' });

@Directive('@key(fields: "id")')
@ObjectType({ description: 'terms 2.1: a statement of usage, rendered in the background; poll `statement(id)` or follow `statementUpdated`' })
export class Statement {
  @Field(() => ID)
  id: string;

  @Field(() => StatementStatus)
  status: StatementStatus;

  @Field(() => StatementFormat)
  format: StatementFormat;

  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;

  @Field(() => String, { nullable: true, description: 'READY or SENT: a signed link to the file, valid STATEMENT_LINK_TTL_SECONDS from this read' })
  downloadUrl: string | null;

  @Field(() => Date, { nullable: true, description: 'When downloadUrl stops working' })
  downloadUrlExpiresAt: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'FAILED: RENDER_FAILED; READY without e-mail: EMAIL_NOT_VERIFIED (no verified address) or EMAIL_UNDELIVERABLE',
  })
  failureCode: string | null;

  @Field(() => Boolean, { description: 'The statement was asked for by e-mail too' })
  email: boolean;

  @Field(() => Date)
  createdAt: Date;
}

/** StatementConnection and StatementEdge (Subscriber.statements). */
export const StatementConnection = connectionType(Statement, 'Statement');
export type StatementConnection = InstanceType<typeof StatementConnection>;
