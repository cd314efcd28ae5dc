import type { SubscriptionSettings } from './subscription-settings';

export type SocketRefusal = 'socketsPerCaller' | 'anonymousSocketsPerAddress';
export type SubscriptionRefusal = 'subscriptionsPerSocket' | 'subscriptionsPerCaller';

/** One open socket as the caps see it. */
export interface SocketSlot {
  readonly address: string;
  /** Before connection_init: counted among its address's sockets that have not said who they are. */
  pending: boolean;
  /** `subscriber:<id>` or `staff:<id>` once the connection's token verified; null while anonymous. */
  caller: string | null;
  readonly subscriptions: Set<string>;
  closed: boolean;
}

/**
 * Counts what each caller holds open on this gateway process: sockets per verified caller, anonymous sockets per
 * client address, subscriptions per socket and per caller. Sockets that have not sent connection_init yet are
 * capped per address too (with the anonymous cap, in a count of their own: many subscribers may share an address
 * behind carrier NAT, and their sockets must not be refused for the anonymous ones). Every release is idempotent:
 * graphql-ws reports an end through several paths.
 */
export class SubscriptionCaps {
  private readonly pendingByAddress = new Map<string, number>();
  private readonly anonymousByAddress = new Map<string, number>();
  private readonly socketsByCaller = new Map<string, number>();
  private readonly subscriptionsByCaller = new Map<string, number>();
  private sockets = 0;
  private subscriptions = 0;

  constructor(private readonly settings: Pick<SubscriptionSettings, 'subscriptionsPerSocket' | 'socketsPerCaller' | 'subscriptionsPerCaller' | 'anonymousSocketsPerAddress'>) {}

  /** A socket opened: counted among its address's sockets not yet initialised, or refused. */
  open(address: string): SocketSlot | SocketRefusal {
    if ((this.pendingByAddress.get(address) ?? 0) >= this.settings.anonymousSocketsPerAddress) return 'anonymousSocketsPerAddress';
    increment(this.pendingByAddress, address);
    this.sockets += 1;
    return { address, pending: true, caller: null, subscriptions: new Set(), closed: false };
  }

  /**
   * connection_init: the socket moves to its verified caller's count (`caller`), or to its address's anonymous
   * count (null) — or is refused when that count is full.
   */
  identify(slot: SocketSlot, caller: string | null): true | SocketRefusal {
    if (slot.closed || !slot.pending) return true;
    if (caller && (this.socketsByCaller.get(caller) ?? 0) >= this.settings.socketsPerCaller) return 'socketsPerCaller';
    if (!caller && (this.anonymousByAddress.get(slot.address) ?? 0) >= this.settings.anonymousSocketsPerAddress) return 'anonymousSocketsPerAddress';
    decrement(this.pendingByAddress, slot.address);
    slot.pending = false;
    slot.caller = caller;
    increment(caller ? this.socketsByCaller : this.anonymousByAddress, caller ?? slot.address);
    return true;
  }

  /** A subscribe message with this id: counted on the socket and its caller, or refused. */
  admit(slot: SocketSlot, id: string): true | SubscriptionRefusal {
    if (slot.subscriptions.has(id)) return true;
    if (slot.subscriptions.size >= this.settings.subscriptionsPerSocket) return 'subscriptionsPerSocket';
    if (slot.caller && (this.subscriptionsByCaller.get(slot.caller) ?? 0) >= this.settings.subscriptionsPerCaller) return 'subscriptionsPerCaller';
    slot.subscriptions.add(id);
    if (slot.caller) increment(this.subscriptionsByCaller, slot.caller);
    this.subscriptions += 1;
    return true;
  }

  /** That subscription ended (by any path). */
  leave(slot: SocketSlot, id: string): void {
    if (!slot.subscriptions.delete(id)) return;
    if (slot.caller) decrement(this.subscriptionsByCaller, slot.caller);
    this.subscriptions -= 1;
  }

  /** The socket closed: it and whatever it still held are released. */
  close(slot: SocketSlot): void {
    if (slot.closed) return;
    for (const id of [...slot.subscriptions]) this.leave(slot, id);
    slot.closed = true;
    if (slot.pending) decrement(this.pendingByAddress, slot.address);
    else if (slot.caller) decrement(this.socketsByCaller, slot.caller);
    else decrement(this.anonymousByAddress, slot.address);
    this.sockets -= 1;
  }

  /** What is open now (metrics, tests). */
  get counts(): { sockets: number; subscriptions: number } {
    return { sockets: this.sockets, subscriptions: this.subscriptions };
  }

  subscriptionsOf(caller: string): number {
    return this.subscriptionsByCaller.get(caller) ?? 0;
  }
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Drops the entry at zero, so the maps hold only callers with something open. */
function decrement(map: Map<string, number>, key: string): void {
  const next = (map.get(key) ?? 0) - 1;
  if (next > 0) map.set(key, next);
  else map.delete(key);
}
