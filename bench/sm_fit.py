"""statsmodels as the seed fits (MixedLM REML, Powell then L-BFGS when Powell does not converge),
one feature at a time, on an analysis frame CSV. Usage: python3 sm_fit.py FRAME.csv OUT.csv [slope]
Prints the seconds per feature on stdout."""
import sys, time, warnings
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

frame, out = sys.argv[1], sys.argv[2]
slope = len(sys.argv) > 3 and sys.argv[3] == "1"
df = pd.read_csv(frame)
df["arm_bin"] = (df["arm"] == "Treated").astype(int)
df["post_num"] = (df["visit"] == "Post").astype(float)
feats = [c for c in df.columns if c.startswith("f")]
rows = []
t0 = time.perf_counter()
for f in feats:
    d = df[["participant_id", "arm_bin", "post_num"]].copy()
    d["yy"] = df[f]
    model = smf.mixedlm("yy ~ arm_bin + post_num + arm_bin:post_num", d, groups=d["participant_id"],
                        re_formula="1 + post_num" if slope else "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(method="powell", maxiter=500, full_output=False)
        if not fit.converged:
            fit = model.fit(method="lbfgs", maxiter=500, full_output=False)
    rows.append(dict(feature=f, beta=fit.params["arm_bin:post_num"], se=fit.bse["arm_bin:post_num"],
                     var_participant=float(fit.cov_re.iloc[0, 0]), logLik=fit.llf))
dt = time.perf_counter() - t0
pd.DataFrame(rows).to_csv(out, index=False)
print(dt / len(feats))
