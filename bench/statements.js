#!/usr/bin/env node
/**
 * Statements of a large period: BENCH_ROWS usage records (default 200,000) of one line over 90 days, then one PDF and
 * one CSV statement rendered by detailing's job runner (a page of 500 rows at a time into 256 KiB chunks) and each
 * downloaded over HTTP. Detailing runs in this process on SQLite (MariaDB with BENCH_DATABASE_URL=mysql://root@127.0.0.1:3306).
 * Prints per format: render time, rows, file size, this process's RSS and heap before, at their peak while rendering
 * (sampled every 20 ms) and after; then the same for the download.
 *   npm run build && node --expose-gc bench/statements.js
 */
'use strict';
const { randomUUID } = require('node:crypto');
const { createTestPlatform, graphql } = require('../shared/dist/testing');
const { createDetailingSubgraph, UsageRecordEntity, StatementEntity } = require('../subgraphs/detailing/dist');

const rows = Number(process.env.BENCH_ROWS ?? 200_000);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = () => (global.gc ? global.gc() : undefined);
const DAY_MS = 24 * 60 * 60 * 1000;

/** A request to detailing, once more if the pooled keep-alive connection turned out closed (a long render idles it). */
async function ask(url, query, variables, options) {
  try {
    return await graphql(url, query, variables, options);
  } catch (error) {
    if (error?.cause?.code !== 'ECONNRESET') throw error;
    return graphql(url, query, variables, options);
  }
}

/** Peak RSS and heap while `work` runs. */
async function measured(work) {
  gc();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 20);
  const started = process.hrtime.bigint();
  try {
    const result = await work();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    gc();
    const after = process.memoryUsage();
    return { result, ms, line: `RSS ${mb(before.rss)} → peak ${mb(peakRss)} → ${mb(after.rss)}; heap ${mb(before.heapUsed)} → peak ${mb(peakHeap)} → ${mb(after.heapUsed)}` };
  } finally {
    clearInterval(sampler);
  }
}

async function main() {
  if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
  const now = new Date();
  const t = await createTestPlatform({ now, standInIdentity: true });
  try {
    const detailing = await t.start(createDetailingSubgraph(), { seedDemoData: false });
    const database = detailing.runtime.database;
    const subscriberId = randomUUID();
    const from = new Date(now.getTime() - 90 * DAY_MS);
    const step = (90 * DAY_MS) / rows;
    const texts = { KK: 'Шығыс қоңырау', RU: 'Исходящий вызов', EN: 'Outgoing call' };
    const loadStart = Date.now();
    for (let i = 0; i < rows; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(i + 1000, rows); j += 1) {
        batch.push({
          id: randomUUID(), subscriberId, kind: 'CALL', startedAt: new Date(from.getTime() + j * step), direction: 'OUTGOING',
          counterparty: `+7701${String(1000000 + (j % 9000000)).padStart(7, '0')}`, seconds: 30 + (j % 600), bytes: null, roaming: false,
          roamingCountry: null, zeroRated: false, chargeMinor: 1000 + (j % 500), allowanceUnit: null, allowanceUsed: null,
          description: texts, sourceRef: null, createdAt: now,
        });
      }
      await database.transaction((manager) => manager.insert(UsageRecordEntity, batch));
    }
    console.log(`loaded ${rows} usage records in ${((Date.now() - loadStart) / 1000).toFixed(1)} s (${database.dialect})`);
    const token = await t.tokenFor(subscriberId);
    for (const format of ['CSV', 'PDF']) {
      const rendered = await measured(async () => {
        const answer = await ask(
          detailing.graphqlUrl,
          'mutation ($s: ID!, $f: DateTime!, $t: DateTime!, $format: StatementFormat!) { orderStatement(subscriberId: $s, from: $f, to: $t, format: $format) { id } }',
          { s: subscriberId, f: from.toISOString(), t: now.toISOString(), format },
          { token },
        );
        if (answer.errors) throw new Error(JSON.stringify(answer.errors));
        const id = answer.data.orderStatement.id;
        for (;;) {
          const row = await database.manager.findOneBy(StatementEntity, { id });
          if (row.status === 'READY' || row.status === 'FAILED') return row;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
      const row = rendered.result;
      console.log(`${format} render: ${row.status}, ${row.rowCount} rows, ${mb(row.byteSize)} in ${(rendered.ms / 1000).toFixed(1)} s; ${rendered.line}`);
      const downloaded = await measured(async () => {
        const answer = await ask(detailing.graphqlUrl, 'query ($id: ID!) { statement(id: $id) { downloadUrl } }', { id: row.id }, { token });
        const url = answer.data.statement.downloadUrl.replace(/^https?:\/\/[^/]+/, detailing.url);
        const response = await fetch(url);
        let bytes = 0;
        for await (const chunk of response.body) bytes += chunk.length;
        return bytes;
      });
      console.log(`${format} download: ${mb(downloaded.result)} in ${(downloaded.ms / 1000).toFixed(1)} s; ${downloaded.line}`);
    }
  } finally {
    await t.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
