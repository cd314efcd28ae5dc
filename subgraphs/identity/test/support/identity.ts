import { generateSigningKeyPem, signingKeyFromPem } from '@selfcare/shared';
import { demo } from '@selfcare/shared/testing';
import { createIdentitySubgraph, IdentityOptions, IdentitySubgraph } from '../../src';

export { DEMO_PASSWORD } from '@selfcare/shared';

/** A cheap KDF for tests (the real cost is measured by bench/identity-login.js and one dedicated test). */
export const TEST_KDF = { log2N: 10, r: 8, p: 1 };

/** The identity subgraph as the tests run it: a fresh signing key and the cheap KDF, unless `options` say otherwise. */
export function testIdentitySubgraph(options: Partial<IdentityOptions> = {}): IdentitySubgraph {
  return createIdentitySubgraph({ signingKey: signingKeyFromPem(generateSigningKeyPem()), kdf: TEST_KDF, ...options });
}

function present<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`the demo base has no ${what}`);
  return value;
}

/** The demo subscribers identity seeds its part of (shared/src/domain/demo.ts), as the identity tests address them. */
export const AIGERIM = { id: demo.aigerim.id, msisdn: present(demo.aigerim.msisdn, "Aigerim's number"), email: present(demo.aigerim.email, "Aigerim's e-mail") };
export const NURLAN = { id: demo.nurlan.id, msisdn: present(demo.nurlan.msisdn, "Nurlan's number") };
export const STEPPE = { id: demo.steppe.id, msisdn: present(demo.steppe.msisdn, "Steppe's number"), email: present(demo.steppe.email, "Steppe's e-mail") };
export const UNREGISTERED = { id: demo.unregistered.id, msisdn: present(demo.unregistered.msisdn, 'number of the unregistered subscriber') };
export const HOME = { id: demo.home.id, login: demo.home.login, email: present(demo.home.email, "the home line's e-mail") };
