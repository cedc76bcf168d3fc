// What the kernel's status and reason codes (abi.ts, the single definition) mean to a reader.
import { Status, Reason } from "./abi.js";

/** Status codes a batch fit reports per feature (BatchFit.status). */
export const FIT_STATUS = {
  ok: Status.OK,
  nonFinite: Status.NONFINITE, // y has NaN/Inf: refit on the complete rows
  rankDeficient: Status.RANKDEF, // X'X not positive definite
  failed: Status.FAILED, // no statistics: BatchFit.reason says why
} as const;

const REASON_TEXT: Record<Reason, string> = {
  [Reason.NONE]: "",
  [Reason.NOT_CERTIFIED]: "not certified: the REML gradient at the returned estimate is not 0 to the kernel's tolerance (CERT_GRAD_RTOL), also after the fallback search; the estimates are the best found",
  [Reason.BEYOND_RESOLVABLE]: "no REML optimum resolvable: the criterion still falls at the largest participant/residual variance ratio double precision resolves for this feature (its within-participant residual is at roundoff against its between-participant variation)",
  [Reason.EXACT_FIT]: "no REML optimum: the feature is an exact function of the design and each participant's own random effects (fitted exactly by them: its within-participant residual is 0 to roundoff), so the variance ratio runs to infinity",
  [Reason.EXACT_BY_X]: "no REML optimum: the feature is an exact function of the design (fitted exactly by X, the fixed effects, or constant), leaving no residual variance",
  [Reason.NO_MAXIMUM]: "no REML optimum: the criterion falls without bound as the random-effect variances grow (the feature is fitted exactly by the design and each participant's own random effects)",
  [Reason.DF_UNAVAILABLE]: "Satterthwaite df unavailable: the REML deviance's Hessian in the variance parameters is not positive definite at the estimate",
  [Reason.EVAL_FAILED]: "the REML criterion could not be evaluated at the estimate (X'V^-1X not positive definite)",
  [Reason.KR_UNAVAILABLE]: "Kenward-Roger statistics unavailable: X'V^-1X or the contrasts' L Phi L' is not positive definite at the estimate",
};

/** What each reason code of BatchFit.reason means. */
export function reasonText(code: number): string {
  return REASON_TEXT[code as Reason] ?? `kernel reason ${code}`;
}
