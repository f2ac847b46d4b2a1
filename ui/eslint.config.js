import js from "@eslint/js";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "coverage", "src/bindings"] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    files: ["**/*.{ts,tsx}"],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Add-on text must reach the DOM only as text nodes.
      "no-restricted-syntax": [
        "error",
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: "Render add-on content as text children, never as HTML." },
        { selector: "MemberExpression[property.name=/^(innerHTML|outerHTML)$/]", message: "Use textContent; innerHTML could run add-on content." },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: "Use text nodes; HTML insertion could run add-on content." },
      ],
    },
  },
);
