// Lint rules that keep the layout honest: imports flow stacks → functions → core, never back.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const infra = ["sst", "sst/*", "aws-cdk-lib", "aws-cdk-lib/*", "constructs", "cdk-nag"];

export default tseslint.config(
  { ignores: ["**/node_modules/**", ".sst/**", "out/**", "cdk.out/**", "**/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["warn", "error"] }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z'][importKind!='type']",
          message: 'Use `import * as z from "zod"`: the named import makes esbuild bundle every zod locale (about 258 KB per Lambda).',
        },
      ],
    },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@pilot-light/functions", "@pilot-light/functions/*", "**/functions/**"], message: "core must not depend on handlers" },
            { group: ["@middy/*", "@aws-lambda-powertools/*", "aws-lambda"], message: "core knows nothing of Lambda" },
            { group: [...infra, "**/stacks/**"], message: "core knows nothing of SST or CDK" },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/functions/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: [...infra, "**/stacks/**"], message: "handlers must not depend on stacks" }] },
      ],
    },
  },
  {
    // Command-line tools print to the terminal on purpose.
    files: ["packages/tools/src/**/*.ts", "packages/rehearsal/src/cli.ts", "**/test/**/*.ts"],
    rules: { "no-console": "off" },
  },
);
