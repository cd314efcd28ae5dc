import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { lintResolvers, lintFile } = require('../../scripts/lint-resolvers.js');

describe('lint rule: every resolver declares its guard', () => {
  it('finds no resolver without exactly one guard in the code base', () => {
    const { files, problems } = lintResolvers();
    expect(files).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('reports a resolver that declares none, and one that declares two', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lint-')), 'bad.resolver.ts');
    writeFileSync(
      file,
      `class R {
        @Query(() => String) open() { return 'x'; }
        @AllowPublic() @RequireSubscriber() @Mutation(() => String) twice() { return 'y'; }
        @RequireSubscriber() @Query(() => String) fine() { return 'z'; }
      }`,
    );
    const problems: string[] = lintFile(file);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/open: declares no guard/);
    expect(problems[1]).toMatch(/twice: declares 2 guards/);
  });
});
