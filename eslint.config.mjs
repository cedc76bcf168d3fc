// Lint: typescript-eslint's recommended rules over src/, assembly/ is AssemblyScript (its own types) and is
// checked by asc; web/ and test/ are linted with the same rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "dist-web/**", "node_modules/**", "assembly/**", "test/fixtures/**", "**/*.mjs", "**/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // published coefficients (AS 241, Lanczos) and mpmath references keep all their printed digits
    files: ["src/stats/dist.ts", "test/stats/dist.test.ts"],
    rules: { "no-loss-of-precision": "off" },
  },
);
