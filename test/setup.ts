// Property tests explore new random cases on every local run; in CI (CI=true) they replay a fixed
// seed so that a landing does not depend on chance. FC_SEED=N replays a run fast-check reported.
import fc from "fast-check";

const seed = process.env.FC_SEED ?? (process.env.CI ? "20261124" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
