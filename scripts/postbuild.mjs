// Make the CLI executable after tsc (tsc does not keep the mode bit).
import { chmodSync, existsSync } from "node:fs";
if (existsSync("dist/cli.js")) chmodSync("dist/cli.js", 0o755);
