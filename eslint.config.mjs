// @ts-check
// Flat config (ESLint 9). `npm run lint` runs it with --max-warnings 0, so every rule here is an error in effect.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/** Feature folders of the web UI (web/src/features/*). */
const WEB_FEATURES = ['auth', 'experiments', 'runs', 'registry', 'permissions'];

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    'dist/',
    'coverage/',
    'data/',
    // The web UI's build output, if web/ is present.
    'web/dist/',
    // Generated Prisma client, wherever a generator `output` puts it.
    '**/generated/prisma/',
    '**/.prisma/',
  ]),

  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One TypeScript program per tsconfig (tsconfig.json covers src/, test/, scripts/, prisma.config.ts).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      // An `eslint-disable` that no longer suppresses anything fails the lint, so stale ones get removed.
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Named explicitly (they are also in recommendedTypeChecked) because the project relies on them.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        {
          // Express 5 forwards a rejected handler promise to the error middleware, and @types/express 5
          // declares a handler's return type as `unknown`, so `router.get(path, async (req, res) => ...)`
          // is not reported even with `arguments` on. What `arguments` does report is an async callback
          // handed to something that ignores its result (EventEmitter#on, setTimeout, stream callbacks):
          // there a rejection becomes an unhandledRejection, which is the bug this rule exists for.
          // `attributes` only concerns JSX (no JSX in this package).
          checksVoidReturn: { arguments: true, attributes: false },
        },
      ],
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      // Forwarding what a catch or a callback handed us (`unknown`, or `any` from an untyped callback API) to
      // `reject` passes the original error on unchanged; wrapping it would change what callers see. Rejecting
      // with a value known not to be an Error (a string, a number, nothing) is still reported. Same defaults as
      // the rule's sibling only-throw-error uses for `throw`.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // `_`-prefixed parameters are the usual way to keep a positional parameter (Express error middleware's
      // arity of 4, callbacks) that the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },

  // Import cycles in the service code: a cycle makes module initialisation order matter (an import is
  // `undefined` while its module is still loading). Type-only imports are not followed: they vanish at run time.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x only reads modules whose extension is listed here (its default is ['.js']): without '.ts'
      // it resolves `./b` to b.ts but never parses it, and no-cycle silently finds nothing.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      // Resolves relative imports the way tsc does (moduleResolution nodenext), including `paths` if added.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },

  {
    files: ['test/**/*.ts'],
    rules: {
      // The `any` here comes from the test libraries' own types, not from our code: supertest types
      // `Response.body` as `any`, and jest's asymmetric matchers (`expect.objectContaining`, `expect.any`,
      // `expect.stringMatching`, ...) return `any`. Reading fields off a response body, and handing bodies and
      // matchers to `toThrow`/`toEqual` or to a typed helper, is what a test does, so these three would flag
      // nearly every assertion.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['test/integration/**/*.ts'],
    rules: {
      // Integration tests go through supertest, whose `res.body` is `any`: iterating a body
      // (`res.body.runs.map(...)`) and returning one from an arrange/act helper are the ordinary case there,
      // and a cast of `any` to a declared shape would be no more checked than the `any` itself.
      // test/unit and test/helpers keep both rules.
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // A fixture or matrix builder is async by the interface it fills (the others await set-up); one
      // that needs no set-up is still called with await, so the missing await inside is not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // The web UI (web/, its own tsconfig.json, which the project service picks for these files): browser code.
  // Imports go one way, app → features → shared (components/, lib/); no feature imports another.
  {
    files: ['web/**/*.{ts,tsx,mts}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks, 'import-x': importX },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // It reports libraries the React Compiler cannot memoise (TanStack Virtual); the build does not use the compiler.
      'react-hooks/incompatible-library': 'off',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './web/src/features', from: './web/src/app', message: 'features never import the app' },
            { target: ['./web/src/components', './web/src/lib'], from: ['./web/src/features', './web/src/app'], message: 'shared code imports no feature and not the app' },
            ...WEB_FEATURES.map((f) => ({
              target: `./web/src/features/${f}`,
              from: './web/src/features',
              except: [`./${f}`],
              message: 'a feature never imports another; compose them in web/src/app',
            })),
          ],
        },
      ],
    },
  },

  // Plain JavaScript (CommonJS config/scripts, this file): outside tsconfig.json, so no type-aware rules.
  {
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
    rules: {
      // CommonJS files load modules with require(); that is not a TypeScript import style choice.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
