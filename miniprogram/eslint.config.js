// Lint for the mini-program (WeChat globals, CommonJS) and its Node tests.
const js = require('@eslint/js')
const globals = require('globals')

const wechat = {wx: 'readonly', App: 'readonly', Page: 'readonly', Component: 'readonly', Behavior: 'readonly', getApp: 'readonly', getCurrentPages: 'readonly', requirePlugin: 'readonly'}

module.exports = [
  {ignores: ['node_modules/**', 'coverage/**']},
  js.configs.recommended,
  {
    files: ['app/**/*.js'],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: 'commonjs',
      globals: {...globals.commonjs, ...wechat, console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly'},
    },
    rules: {
      'no-unused-vars': ['error', {args: 'after-used', caughtErrors: 'none'}],
      eqeqeq: 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      // No browser or Node APIs exist in the mini-program runtime beyond what is listed above.
      'no-restricted-globals': ['error', 'window', 'document', 'fetch', 'localStorage', 'process', 'Buffer'],
    },
  },
  {
    files: ['test/**/*.js', '*.config.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'commonjs',
      globals: {...globals.node, ...globals.jest, ...wechat, document: 'readonly'},
    },
    rules: {
      'no-unused-vars': ['error', {args: 'after-used', caughtErrors: 'none'}],
      eqeqeq: 'error',
      'prefer-const': 'error',
    },
  },
]
