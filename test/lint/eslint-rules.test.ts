import { RuleTester } from 'eslint';
import { parser } from 'typescript-eslint';
import selfcare from '../../eslint-rules';

/** The repository's own ESLint rules (eslint-rules/), on TypeScript as the lint reads it. */
const GUARDS = 'use exactly one of AllowPublic, RequireSubscriber, RequireStaff, RequireCaller';
const tester = new RuleTester({ languageOptions: { parser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } } });

tester.run('resolver-guard: every resolver declares exactly one guard', selfcare.rules['resolver-guard'], {
  valid: [
    `class R { @RequireSubscriber() @Query(() => String) me() { return 'x'; } }`,
    `class R { @Mutation(() => Boolean) @AllowPublic() login() { return true; } }`,
    `class R { @FieldResolver(() => String) @tg.RequireStaff() secret() { return 'x'; } }`,
    `class R { @Subscription(() => String, { subscribe: feed }) @RequireCaller() changed() { return 'x'; } }`,
    // Not a resolver: no operation decorator, no guard needed.
    `class S { @Field(() => String) name() { return 'x'; } helper() { return 1; } }`,
  ],
  invalid: [
    { code: `class R { @Query(() => String) open() { return 'x'; } }`, errors: [{ message: `@Query open declares no guard; ${GUARDS}` }] },
    {
      code: `class R { @AllowPublic() @RequireSubscriber() @Mutation(() => String) twice() { return 'y'; } }`,
      errors: [{ message: `@Mutation twice declares 2 guards (AllowPublic, RequireSubscriber); ${GUARDS}` }],
    },
    { code: `class R { @FieldResolver() @Authorized() legacy() { return 'z'; } }`, errors: [{ messageId: 'none' }] },
    { code: `class R { @Subscription(() => String) ['computed']() { return 'z'; } }`, errors: [{ message: `@Subscription 'computed' declares no guard; ${GUARDS}` }] },
  ],
});

tester.run('test-waits: tests wait for outcomes, not for time', selfcare.rules['test-waits'], {
  valid: [
    `await waitFor(() => sent.length === 1, 5_000, 'the SMS');`,
    `const started = Date.now(); const seconds = (Date.now() - started) / 1000; console.log(seconds);`,
    `setTimeout(() => socket.close(), 10).unref();`,
    `for (const item of items) { if (item.at > Date.now()) later.push(item); }`,
  ],
  invalid: [
    { code: `await new Promise((r) => setTimeout(r, 300));`, errors: [{ messageId: 'sleep' }] },
    { code: `const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });`, errors: [{ messageId: 'sleep' }] },
    { code: `const late = await Promise.race([done, new Promise((r) => setTimeout(() => r(false), 500))]);`, errors: [{ messageId: 'sleep' }] },
    { code: `import { setTimeout as sleep } from 'node:timers/promises';`, errors: [{ messageId: 'sleep' }] },
    { code: `expect(Date.now() - started).toBeLessThan(1_000);`, errors: [{ messageId: 'elapsed' }] },
    { code: `expect(performance.now() - t0).toBeLessThanOrEqual(50);`, errors: [{ messageId: 'elapsed' }] },
    { code: `while (Date.now() < deadline) { if (await check()) return; await tick(); }`, errors: [{ messageId: 'poller' }] },
    { code: `for (;;) { if (await check()) break; if (Date.now() > deadline) throw new Error('late'); await tick(); }`, errors: [{ messageId: 'poller' }] },
  ],
});
