import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SubgraphRuntime } from '@selfcare/shared';
import { type BroadcastPurpose, NoticeBroadcastEntity } from './notice.entities';

export interface BroadcastRequest {
  purpose: BroadcastPurpose;
  title: string;
  body: string;
  kindFilter: string | null;
  byEmail: boolean;
  bySms: boolean;
  termsVersion: string | null;
  createdBy: string | null;
}

/** The worker of each running identity service, woken when a job was queued. */
const wakeups = new WeakMap<SubgraphRuntime, () => void>();

export function onBroadcastEnqueued(runtime: SubgraphRuntime, listener: () => void): void {
  wakeups.set(runtime, listener);
}

/** Queues a delivery job in the caller's transaction; the background worker does the delivery (2.8, 6.6). */
export async function enqueueBroadcast(manager: EntityManager, runtime: SubgraphRuntime, request: BroadcastRequest): Promise<NoticeBroadcastEntity> {
  const job: NoticeBroadcastEntity = {
    id: randomUUID(),
    ...request,
    createdAt: runtime.clock.now(),
    status: 'PENDING',
    lastSubscriberId: null,
    delivered: 0,
    emailed: 0,
    texted: 0,
    leaseOwner: null,
    leaseUntil: null,
    startedAt: null,
    finishedAt: null,
  };
  await manager.insert(NoticeBroadcastEntity, job);
  return job;
}

/** Call after the transaction that enqueued a job committed; without it the worker finds the job at its next poll. */
export function wakeBroadcastWorker(runtime: SubgraphRuntime): void {
  wakeups.get(runtime)?.();
}
