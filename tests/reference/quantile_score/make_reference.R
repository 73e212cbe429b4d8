# Score intervals of quantiles on Taylor designs: svyquantile(..., interval.type="score").
# Run: Rscript make_reference.R ../../data/r_survey > expected.json   (R 4.2.2, survey 4.1-1)
#
# svyquantile finds the roots theta of the score statistic (the design-based mean of
# (x > theta) - (1 - p) over its SE, minus the t critical value) with uniroot, then reads the
# interval off the weighted quantile rule at the *unweighted* share of the sample below each
# root. With unequal weights that share is not on the scale of the weighted distribution and
# the interval can miss the estimate (below: the stratified case's median, 446 outside
# [367, 428]). `ci_*_weighted` reads it at the weighted share of the same roots (R's roots,
# R's rule); with equal weights within the domain the two coincide (checked below).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../data/r_survey"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
apiclus1 <- rd("apiclus1.csv"); apistrat <- rd("apistrat.csv"); nhanes <- rd("nhanes.csv")
num <- function(x) unname(as.numeric(x))
out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))))
one <- function(q, var) list(estimate = num(q[[var]][, 1]), ci_low = num(q[[var]][, 2]), ci_high = num(q[[var]][, 3]),
                             se = num(q[[var]][, 4]))
# the interval at the weighted share below each root of the score statistic, as uniroot finds them
weighted_ci <- function(formula, design, probs, qrule = "math", alpha = 0.05) {
  x <- model.frame(formula, model.frame(design))[[1]]
  w <- weights(design)
  rule <- get(paste0("qrule_", qrule), envir = asNamespace("survey"))
  t <- qt(1 - alpha / 2, degf(design))
  spread <- diff(quantile(x, c(0.25, 0.75), names = FALSE))
  ends <- c(min(x) + spread / 100, max(x) - spread / 100)
  stat <- function(theta, p, crit) {
    m <- svymean(as.numeric(x > theta) - (1 - p), design)
    as.numeric(coef(m) / SE(m)) - crit
  }
  out <- sapply(probs, function(p) {
    roots <- sapply(c(t, -t), function(crit)
      uniroot(stat, ends, p = p, crit = crit, tol = 1 / (100 * sqrt(nrow(design))))$root)
    sapply(roots, function(r) rule(x, w, sum(w * (x <= r)) / sum(w)))
  })
  list(ci_low_weighted = num(out[1, ]), ci_high_weighted = num(out[2, ]))
}
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
q <- svyquantile(~api00, dclus1, quantiles = c(0.25, 0.5, 0.75), interval.type = "score", ci = TRUE)
out$clus1 <- c(list(r_setup = "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)",
                    r_call = "svyquantile(~api00, dclus1, quantiles=c(0.25,0.5,0.75), interval.type='score', ci=TRUE)",
                    probs = c(0.25, 0.5, 0.75)), one(q, "api00"), weighted_ci(~api00, dclus1, c(0.25, 0.5, 0.75)))
stopifnot(all.equal(out$clus1$ci_low, out$clus1$ci_low_weighted), all.equal(out$clus1$ci_high, out$clus1$ci_high_weighted))
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
q <- svyquantile(~enroll, dstrat, quantiles = c(0.1, 0.5, 0.9), interval.type = "score", qrule = "hf7", ci = TRUE)
out$strat <- c(list(r_setup = "dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)",
                    r_call = "svyquantile(~enroll, dstrat, quantiles=c(0.1,0.5,0.9), interval.type='score', qrule='hf7', ci=TRUE)",
                    probs = c(0.1, 0.5, 0.9)), one(q, "enroll"), weighted_ci(~enroll, dstrat, c(0.1, 0.5, 0.9), "hf7"))
b <- svyby(~api00, ~stype, dclus1, svyquantile, quantiles = 0.5, interval.type = "score", ci = TRUE, vartype = c("se", "ci"))
out$clus1_by <- list(r_setup = "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)",
  r_call = "svyby(~api00, ~stype, dclus1, svyquantile, quantiles=0.5, interval.type='score', ci=TRUE, vartype=c('se','ci'))",
  levels = c("E", "H", "M"), estimate = num(coef(b)), se = num(SE(b)), ci_low = num(b$ci_l), ci_high = num(b$ci_u))
wb <- lapply(c("E", "H", "M"), function(s) weighted_ci(~api00, subset(dclus1, stype == s), 0.5))
stopifnot(all.equal(out$clus1_by$ci_low, sapply(wb, `[[`, "ci_low_weighted")))
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
q <- svyquantile(~WTMEC2YR, subset(dnh, race == 2), quantiles = 0.5, interval.type = "score", ci = TRUE)
out$nhanes_sub <- c(list(r_setup = "dnh <- svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes)",
                         r_call = "svyquantile(~WTMEC2YR, subset(dnh, race==2), quantiles=0.5, interval.type='score', ci=TRUE)",
                         probs = 0.5), one(q, "WTMEC2YR"), weighted_ci(~WTMEC2YR, subset(dnh, race == 2), 0.5))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
