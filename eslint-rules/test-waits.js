'use strict';
/**
 * Tests prove what they say: no sleep (it proves nothing happened only on a fast enough machine), no hand-written
 * poller (shared/src/testing/wait.ts `waitFor` is the one), no assertion on elapsed time (speed is measured by the
 * bench/ scripts, which print figures). A timer that is part of the scenario, or a wait that is really another
 * thing (a child process's output), stays with an eslint-disable comment saying why.
 */

/** `Date.now()` or `performance.now()`. */
function isClockRead(node) {
  return (
    node?.type === 'CallExpression' &&
    node.callee.type === 'MemberExpression' &&
    !node.callee.computed &&
    node.callee.object.type === 'Identifier' &&
    ['Date', 'performance'].includes(node.callee.object.name) &&
    node.callee.property.type === 'Identifier' &&
    node.callee.property.name === 'now'
  );
}

const LOOPS = new Set(['WhileStatement', 'DoWhileStatement', 'ForStatement']);

/** @type {import('eslint').Rule.RuleModule} */
module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'no sleeps, hand-written pollers or elapsed-time assertions in tests' },
    schema: [],
    messages: {
      sleep: 'A sleep in a test proves nothing: await the outcome (waitFor), drain the outbox or the relay (relaySettled), or hold the step on a promise the test resolves.',
      poller: 'A hand-written poller: use waitFor from shared/src/testing/wait.ts.',
      elapsed: 'An assertion on elapsed time: assert the outcome; speed is measured by the bench/ scripts.',
    },
  },
  create(context) {
    /** Loops whose condition or body reads the clock against a deadline. */
    const loopsReadingClock = new WeakSet();
    return {
      // new Promise((resolve) => setTimeout(resolve, ms)), however the callback is written
      'NewExpression[callee.name="Promise"] CallExpression[callee.name="setTimeout"]'(node) {
        context.report({ node, messageId: 'sleep' });
      },
      // import { setTimeout } from 'node:timers/promises'
      ImportDeclaration(node) {
        if (node.source.value === 'node:timers/promises' || node.source.value === 'timers/promises') context.report({ node, messageId: 'sleep' });
      },
      // expect(Date.now() - started)...
      'CallExpression[callee.name="expect"] > BinaryExpression[operator="-"]'(node) {
        if (isClockRead(node.left)) context.report({ node, messageId: 'elapsed' });
      },
      // while (Date.now() < deadline) …, for (;;) { if (Date.now() > deadline) … }
      'BinaryExpression[operator=/^[<>]=?$/]'(node) {
        if (!isClockRead(node.left) && !isClockRead(node.right)) return;
        const loop = context.sourceCode.getAncestors(node).findLast((ancestor) => LOOPS.has(ancestor.type));
        if (!loop || loopsReadingClock.has(loop)) return;
        loopsReadingClock.add(loop);
        context.report({ node: loop, messageId: 'poller' });
      },
    };
  },
};
