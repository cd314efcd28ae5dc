'use strict';
/**
 * How fast this machine runs right now: the time of a fixed CPU-bound loop (about 350 ms on an unloaded core of the
 * machine the README's figures come from). On a shared host it swings by a third from one minute to the next; a
 * bench prints it before and after its measurement so a slow run can be told from a slower system.
 */
function loopMs() {
  const started = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < 3e8; i += 1) x += i % 7;
  if (x < 0) throw new Error('unreachable');
  return Number(process.hrtime.bigint() - started) / 1e6;
}

module.exports = { loopMs };
