// The golden cases: every output table of the command line on the fixtures, locked before a refactor
// (scripts/make-golden.mjs writes test/fixtures/golden/; test/golden.test.ts runs them again and compares).
// A case's output goes to stdout (CSV) unless `out` names a file extension; `same` runs the command
// with other options that must give exactly the output of the named case (threads, file layouts).
const F = "test/fixtures/";
const V = ["--visits", "Pre,Post"];

export const CASES = [
  // mixed
  { name: "mixed-basic", args: ["mixed", F + "basic.h5ad", ...V, "--threads", "1"] },
  { name: "mixed-basic-2threads", same: "mixed-basic", args: ["mixed", F + "basic.h5ad", ...V, "--threads", "2"] },
  { name: "mixed-basic-csc", args: ["mixed", F + "variants/basic_csc.h5ad", ...V, "--threads", "1"] },
  { name: "mixed-basic-dense", same: "mixed-basic-csc", args: ["mixed", F + "variants/basic_dense.h5ad", ...V, "--threads", "1"] },
  { name: "mixed-basic-legacy07", same: "mixed-basic-csc", args: ["mixed", F + "variants/basic_legacy07.h5ad", ...V, "--threads", "1"] },
  { name: "mixed-basic-raw", args: ["mixed", F + "basic.h5ad", ...V, "--no-standardize", "--threads", "1"] },
  { name: "mixed-basic-counts", args: ["mixed", F + "basic.h5ad", ...V, "--layer", "counts", "--threads", "1"] },
  { name: "mixed-messy-cov", out: "tsv", args: ["mixed", F + "messy.h5ad", ...V, "--crossover", "crossover", "--covariates", "age,sex", "--threads", "2"] },
  { name: "mixed-messy-median", out: "json", args: ["mixed", F + "messy.h5ad", ...V, "--crossover", "crossover", "--agg", "median", "--threads", "1"] },
  { name: "mixed-messy-pctpos", args: ["mixed", F + "messy.h5ad", ...V, "--agg", "pct_pos", "--include-crossovers", "--crossover", "crossover", "--threads", "1"] },
  { name: "mixed-messy-fu", args: ["mixed", F + "messy.h5ad", "--visits", "Pre,FU", "--features", "sig_demo,G00001,G00002,G00003", "--threads", "1"] },
  { name: "mixed-cells-slope", args: ["mixed", F + "cells.h5ad", ...V, "--aggregate", "cell", "--random-slope", "--threads", "1"] },
  { name: "mixed-cells-slope-2threads", same: "mixed-cells-slope", args: ["mixed", F + "cells.h5ad", ...V, "--aggregate", "cell", "--random-slope", "--threads", "2"] },
  { name: "mixed-cells-cell", args: ["mixed", F + "cells.h5ad", ...V, "--aggregate", "cell", "--threads", "1"] },
  { name: "mixed-cells-pvslope", args: ["mixed", F + "cells.h5ad", ...V, "--random-slope", "--threads", "1"] },
  { name: "mixed-anorexia", args: ["mixed", F + "real/anorexia.csv", ...V, "--treated", "FT", "--control", "Cont", "--no-standardize", "--threads", "1"] },
  { name: "mixed-example", args: ["mixed", "examples/example.h5ad", ...V, "--threads", "1"] },
  // fixed
  { name: "fixed-basic", args: ["fixed", F + "basic.h5ad", ...V] },
  { name: "fixed-messy-cov", out: "json", args: ["fixed", F + "messy.h5ad", ...V, "--crossover", "crossover", "--covariates", "age,sex"] },
  { name: "fixed-messy-celltype", out: "tsv", args: ["fixed", F + "messy.h5ad", ...V, "--crossover", "crossover", "--celltype", "celltype"] },
  { name: "fixed-basic-boot", args: ["fixed", F + "basic.h5ad", ...V, "--bootstrap", "--n-boot", "199", "--seed", "7", "--features", "sig_demo,G00000,G00001,G00002,G00003,G00004"] },
  { name: "fixed-cells-cell", args: ["fixed", F + "cells.h5ad", ...V, "--aggregate", "cell"] },
  { name: "fixed-anorexia", args: ["fixed", F + "real/anorexia.csv", ...V, "--treated", "FT", "--control", "Cont", "--no-standardize"] },
  // compare
  { name: "compare-basic", args: ["compare", F + "basic.h5ad", ...V, "--threads", "1"] },
  { name: "compare-basic-2threads", same: "compare-basic", args: ["compare", F + "basic.h5ad", ...V, "--threads", "2"] },
  { name: "compare-messy-cov", out: "json", args: ["compare", F + "messy.h5ad", ...V, "--crossover", "crossover", "--covariates", "age,sex", "--threads", "1"] },
  { name: "compare-cells-cell", out: "tsv", args: ["compare", F + "cells.h5ad", ...V, "--aggregate", "cell", "--threads", "1"] },
  // inspect
  { name: "inspect-basic", args: ["inspect", F + "basic.h5ad"] },
  { name: "inspect-messy-json", args: ["inspect", F + "messy.h5ad", "--json"] },
  { name: "inspect-legacy07-json", args: ["inspect", F + "variants/basic_legacy07.h5ad", "--json"] },
  { name: "inspect-encodings", args: ["inspect", F + "variants/encodings.h5ad"] },
  // usage and input errors (exit status 2, one line)
  { name: "error-visit", args: ["mixed", F + "basic.h5ad", "--visits", "Pre,Later"] },
  { name: "error-arm", args: ["fixed", F + "basic.h5ad", ...V, "--treated", "Drug"] },
  { name: "error-covariate", args: ["compare", F + "basic.h5ad", ...V, "--covariates", "bmi"] },
  { name: "error-agg", args: ["mixed", F + "basic.h5ad", ...V, "--agg", "mode"] },
];
