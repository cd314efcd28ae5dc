export type ActorKind = 'SUBSCRIBER' | 'STAFF' | 'SYSTEM';
export type ChannelName = 'WEB' | 'MOBILE_APP';

/** Who did it, for the activity record (terms 2.4, 3.5). */
export interface Actor {
  kind: ActorKind;
  id: string | null;
  viaManagement: boolean;
  channel: ChannelName | null;
  /** the employee, named in the entry's details (terms 2.4) */
  staff?: { role: 'OPERATOR' | 'ADMIN'; login: string };
}

export const SYSTEM_ACTOR: Actor = { kind: 'SYSTEM', id: null, viaManagement: false, channel: null };
