import WebSocket from 'ws';

/**
 * A graphql-transport-ws client at the message level, for what graphql-ws's own client never sends: a subscribe
 * followed at once by its complete, oversized messages, floods. Every message received is kept.
 */
export class RawSocket {
  readonly messages: { id?: string; type: string; payload?: any }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push(JSON.parse(String(data)));
      for (const listener of [...this.listeners]) listener();
    });
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    socket.on('error', () => undefined);
  }

  /** Opens, sends connection_init with these params and waits for the ack (or the close that refuses it). */
  static async open(url: string, params: Record<string, unknown> = {}): Promise<RawSocket> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const raw = new RawSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => resolve());
    });
    if (socket.readyState === WebSocket.OPEN) {
      raw.send({ type: 'connection_init', payload: params });
      // A refused socket closes instead of acknowledging.
      await Promise.race([raw.until((m) => m.type === 'connection_ack').catch(() => undefined), raw.closed]);
    }
    return raw;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (already received or to come) matching `match`. */
  until(match: (message: { id?: string; type: string; payload?: any }) => boolean): Promise<{ id?: string; type: string; payload?: any }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(match);
        if (!found) return false;
        this.listeners.delete(check);
        resolve(found);
        return true;
      };
      if (check()) return;
      this.listeners.add(check);
      void this.closed.then((closed) => {
        if (this.listeners.delete(check)) reject(new Error(`socket closed (${closed.code} ${closed.reason}) before the awaited message`));
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
