/** Who is calling, as proven by a verified access token. */
export type Channel = 'WEB' | 'MOBILE_APP';

export interface SubscriberCaller {
  kind: 'subscriber';
  subscriberId: string;
  sessionId: string;
  channel: Channel;
}

export type StaffRole = 'OPERATOR' | 'ADMIN';

export interface StaffCaller {
  kind: 'staff';
  staffId: string;
  sessionId: string;
  role: StaffRole;
}

export type Caller = SubscriberCaller | StaffCaller;

/** Claims of the access tokens identity signs. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  /** session id */
  sid: string;
  /** subscriber or staff */
  act: 'subscriber' | 'staff';
  ch?: Channel;
  role?: StaffRole;
  iat: number;
  /** issued-at in milliseconds: a revocation in the same second must still cut the token off */
  iatms: number;
  exp: number;
  typ: 'access';
}

export function callerFromClaims(claims: AccessTokenClaims): Caller {
  if (claims.act === 'staff') {
    return { kind: 'staff', staffId: claims.sub, sessionId: claims.sid, role: claims.role ?? 'OPERATOR' };
  }
  return { kind: 'subscriber', subscriberId: claims.sub, sessionId: claims.sid, channel: claims.ch ?? 'WEB' };
}
