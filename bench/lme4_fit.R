# lme4 REML (bobyqa, lme4's default for lmer) one feature at a time on an analysis frame CSV.
# Usage: Rscript lme4_fit.R FRAME.csv OUT.csv [slope]; prints the seconds per feature.
suppressMessages(library(lme4))
a <- commandArgs(trailingOnly = TRUE)
slope <- length(a) > 2 && a[3] == "1"
fr <- read.csv(a[1])
fr$arm_bin <- as.integer(fr$arm == "Treated")
fr$post_num <- as.numeric(fr$visit == "Post")
feats <- grep("^f", names(fr), value = TRUE)
re <- if (slope) "(1 + post_num | participant_id)" else "(1 | participant_id)"
ctl <- lmerControl(check.conv.singular = "ignore", check.nobs.vs.nRE = "ignore")
rows <- vector("list", length(feats))
t0 <- Sys.time()
for (i in seq_along(feats)) {
  fr$yy <- fr[[feats[i]]]
  m <- lmer(as.formula(paste("yy ~ arm_bin + post_num + arm_bin:post_num +", re)), data = fr, REML = TRUE, control = ctl)
  co <- summary(m)$coefficients
  vc <- as.data.frame(VarCorr(m))
  rows[[i]] <- data.frame(feature = feats[i], beta = co["arm_bin:post_num", 1], se = co["arm_bin:post_num", 2],
                          var_participant = vc$vcov[1], logLik = as.numeric(logLik(m)))
}
dt <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
write.csv(do.call(rbind, rows), a[2], row.names = FALSE)
cat(dt / length(feats), "\n")
