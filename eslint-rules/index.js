'use strict';
/** The repository's own ESLint rules, loaded by eslint.config.mjs as the `selfcare` plugin. */
module.exports = {
  meta: { name: 'selfcare' },
  rules: {
    'resolver-guard': require('./resolver-guard'),
    'test-waits': require('./test-waits'),
  },
};
