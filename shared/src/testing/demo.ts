import { DemoSubscriber, demoSubscribers } from '../domain/demo';

function nth(index: number): DemoSubscriber {
  const subscriber = demoSubscribers[index];
  if (!subscriber) throw new Error(`the demo base has no subscriber #${index + 1}`);
  return subscriber;
}

/** The demo subscribers (shared/src/domain/demo.ts) by the names the tests give them. */
export const demo = {
  /** mobile, individual, RU, registered, with an e-mail */
  aigerim: nth(0),
  /** mobile, individual, KK, registered, no e-mail */
  nurlan: nth(1),
  /** mobile, legal entity, EN, registered, with an e-mail */
  steppe: nth(2),
  /** mobile, not registered yet (terms 3.1.1) */
  unregistered: nth(3),
  /** home internet: no number, logs in with its account login */
  home: nth(4),
} as const;
