import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Database, GraphQLContext, KeysetPages, RequireStaff, requireStaff } from '@selfcare/shared';
import type { CatalogAdminService } from './admin-service';
import { CatalogChangeEntity } from './admin-entities';
import { CatalogChange, CatalogChangeConnection, NewServiceInput, NewTariffInput, ServiceVersionInput, TariffVersionInput } from './admin-types';
import { Service, TariffPlan, toService, toTariffPlan } from './types';

@ArgsType()
class ChangePageArgs {
  @Field(() => Int, { nullable: true })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

const toChange = (row: CatalogChangeEntity) =>
  Object.assign(new CatalogChange(), { id: row.id, at: row.at, action: row.action, staffId: row.staffId, staffRole: row.staffRole, details: row.details });

/** The operator's catalog operations (terms 2.6): staff only (OPERATOR or ADMIN), each in the change log. */
export function catalogAdminResolvers(admin: CatalogAdminService, database: Database) {
  const changes = new KeysetPages({
    name: 'catalog.changes',
    entity: CatalogChangeEntity,
    manager: () => database.manager,
    parent: 'offerId',
    sortBy: 'at',
    sortKind: 'timestamp',
    order: 'NEWEST_FIRST',
  });

  @Resolver()
  class CatalogAdminResolver {
    @Mutation(() => TariffPlan, { description: 'Staff (terms 2.6): a new tariff with its first version, on sale at once' })
    @RequireStaff('OPERATOR')
    async createTariff(@Arg('input', () => NewTariffInput) input: NewTariffInput, @Ctx() ctx: GraphQLContext): Promise<TariffPlan> {
      return toTariffPlan(await admin.createTariff(requireStaff(ctx), input), ctx.language);
    }

    @Mutation(() => TariffPlan, { description: 'Staff (terms 2.2, 2.6): a new version of a tariff; its lines are told and pay it from effectiveFrom' })
    @RequireStaff('OPERATOR')
    async publishTariffVersion(@Arg('code', () => String) code: string, @Arg('version', () => TariffVersionInput) version: TariffVersionInput, @Ctx() ctx: GraphQLContext): Promise<TariffPlan> {
      return toTariffPlan(await admin.publishTariffVersion(requireStaff(ctx), code, version), ctx.language);
    }

    @Mutation(() => TariffPlan, { description: 'Staff (terms 2.6): no longer sold; its lines keep it and its price' })
    @RequireStaff('OPERATOR')
    async retireTariff(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext): Promise<TariffPlan> {
      return toTariffPlan(await admin.retireTariff(requireStaff(ctx), code), ctx.language);
    }

    @Mutation(() => TariffPlan, { description: 'Staff (terms 2.6): obsolete; its lines are moved to the replacement, without a switch fee, and told' })
    @RequireStaff('OPERATOR')
    async makeTariffObsolete(@Arg('code', () => String) code: string, @Arg('replacementCode', () => String) replacementCode: string, @Ctx() ctx: GraphQLContext): Promise<TariffPlan> {
      return toTariffPlan(await admin.makeTariffObsolete(requireStaff(ctx), code, replacementCode), ctx.language);
    }

    @Mutation(() => Service, { description: 'Staff (terms 2.6): a new service with its first version and compatibility, on sale at once' })
    @RequireStaff('OPERATOR')
    async createService(@Arg('input', () => NewServiceInput) input: NewServiceInput, @Ctx() ctx: GraphQLContext): Promise<Service> {
      return toService(await admin.createService(requireStaff(ctx), input), ctx.language);
    }

    @Mutation(() => Service, { description: 'Staff (terms 2.2, 2.6): a new version of a service (price, terms, compatibility); its holders are told' })
    @RequireStaff('OPERATOR')
    async publishServiceVersion(@Arg('code', () => String) code: string, @Arg('version', () => ServiceVersionInput) version: ServiceVersionInput, @Ctx() ctx: GraphQLContext): Promise<Service> {
      return toService(await admin.publishServiceVersion(requireStaff(ctx), code, version), ctx.language);
    }

    @Mutation(() => Service, { description: 'Staff (terms 2.6): no longer sold; its holders keep it and its price' })
    @RequireStaff('OPERATOR')
    async retireService(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext): Promise<Service> {
      return toService(await admin.retireService(requireStaff(ctx), code), ctx.language);
    }

    @Mutation(() => Service, { description: 'Staff (terms 2.6): obsolete; every connection of it ends and its holders are told' })
    @RequireStaff('OPERATOR')
    async makeServiceObsolete(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext): Promise<Service> {
      return toService(await admin.makeServiceObsolete(requireStaff(ctx), code), ctx.language);
    }

    @Query(() => [TariffPlan], { description: 'Staff: every tariff, on sale, retired or obsolete' })
    @RequireStaff()
    async allTariffs(@Ctx() ctx: GraphQLContext): Promise<TariffPlan[]> {
      return (await admin.allTariffs()).filter((row) => row.currentVersion).map((row) => toTariffPlan(row, ctx.language));
    }

    @Query(() => [Service], { description: 'Staff: every service, on sale, retired or obsolete' })
    @RequireStaff()
    async allServices(@Ctx() ctx: GraphQLContext): Promise<Service[]> {
      return (await admin.allServices()).filter((row) => row.currentVersion).map((row) => toService(row, ctx.language));
    }
  }

  @Resolver(() => TariffPlan)
  class TariffChangesResolver {
    @FieldResolver(() => CatalogChangeConnection, { description: 'Staff: the operator’s changes to this tariff, newest first' })
    @RequireStaff()
    async changes(@Root() tariff: TariffPlan, @Ctx() ctx: GraphQLContext, @Args(() => ChangePageArgs) page: ChangePageArgs): Promise<CatalogChangeConnection> {
      return CatalogChangeConnection.from(await changes.load(ctx, { parent: tariff.id, first: page.first, after: page.after }), toChange);
    }
  }

  @Resolver(() => Service)
  class ServiceChangesResolver {
    @FieldResolver(() => CatalogChangeConnection, { description: 'Staff: the operator’s changes to this service, newest first' })
    @RequireStaff()
    async changes(@Root() service: Service, @Ctx() ctx: GraphQLContext, @Args(() => ChangePageArgs) page: ChangePageArgs): Promise<CatalogChangeConnection> {
      return CatalogChangeConnection.from(await changes.load(ctx, { parent: service.id, first: page.first, after: page.after }), toChange);
    }
  }

  return [CatalogAdminResolver, TariffChangesResolver, ServiceChangesResolver] as const;
}
