// TypeScript types for our operations, generated from the committed SDL (schema/schema.graphql).
// `npm run codegen` rewrites src/generated/graphql.ts; bin/test runs it with --check and fails
// when the committed file drifts from the schema or from the operations in src/.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema/schema.graphql",
  documents: ["src/**/*.ts", "src/**/*.tsx", "!src/generated/**"],
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations"],
      config: {
        enumsAsTypes: true,
        onlyOperationTypes: true,
        avoidOptionals: true,
        useTypeImports: true,
        scalars: {
          DateTime: "string",
          IntColumn: "number[]",
          IndexColumn: "number[]",
          NullableIntColumn: "(number | null)[]",
          StringColumn: "string[]",
          NullableStringColumn: "(string | null)[]",
          TimestampColumn: "(number | null)[]",
          JobStateColumn: "JobState[]",
          JobResultColumn: "JobResult[]",
        },
      },
    },
  },
};
export default config;
