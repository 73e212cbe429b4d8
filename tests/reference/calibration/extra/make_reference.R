# Calibration reference cases beyond the 18 shared ones (../cases): quantiles, proportions and
# subpopulations on calibrated designs; raking with bounds; bounds on the weights (bounds.const);
# replicate designs given as weights (JKn, bootstrap, BRR, Fay, JK1) and converted (JKn)
# recalibrated replicate by replicate; rake() and postStratify() on replicate designs.
# Writes cases/CALXnn.json (spec, with the literal R call) and expected/CALXnn.json (R's answer) in
# the layout of ../cases and ../expected.
# Run from this folder:  Rscript make_reference.R ../../../data/r_survey     (R 4.2.2, survey 4.1-1)
suppressMessages({library(survey); library(jsonlite)}); options(warn=1)
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../../data/r_survey"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
dir.create("cases", showWarnings = FALSE); dir.create("expected", showWarnings = FALSE)
num <- function(x) unname(as.numeric(x))

apiclus1 <- rd("apiclus1.csv"); apistrat <- rd("apistrat.csv")
jkn <- rd("apistrat_jkn.csv"); jkn_rs <- rd("apistrat_jkn_rscales.csv")
boot <- rd("apiclus1_boot.csv"); jk1 <- rd("apiclus1_jk1.csv"); scd <- rd("scd_brr.csv")
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)

# rows of results: estimate, se and interval of a statistic (level = a factor level)
row <- function(estimand, variable, est, se, ci, level=NULL, by=NULL, prob=NULL) {
  r <- list(estimand=estimand, variable=variable, estimate=num(est), se=num(se))
  if (!is.null(ci)) { r$ci_low <- num(ci[1]); r$ci_high <- num(ci[2]) }
  if (!is.null(level)) r$level <- level
  if (!is.null(by)) r$by <- by
  if (!is.null(prob)) r$prob <- prob
  r
}
stat <- function(s, estimand, variables) {  # svymean/svytotal of numeric variables
  ci <- confint(s)
  lapply(seq_along(variables), function(i) row(estimand, variables[i], coef(s)[i], SE(s)[i], ci[i, ]))
}
factor_stat <- function(s, estimand, variable, levels) {
  ci <- confint(s)
  lapply(seq_along(levels), function(i) row(estimand, variable, coef(s)[i], SE(s)[i], ci[i, ], level=levels[i]))
}
by_stat <- function(b, estimand, variable, byvar) {
  ci <- confint(b)
  lapply(seq_len(nrow(b)), function(i) row(estimand, variable, coef(b)[i], SE(b)[i], ci[i, ],
                                           by=setNames(list(as.character(b[[byvar]][i])), byvar)))
}
quant <- function(q, variable, probs) {  # svyquantile: Woodruff intervals with the design's df
  ci <- confint(q)
  lapply(seq_along(probs), function(i) row("quantile", variable, coef(q)[i], SE(q)[i], ci[i, ], prob=probs[i]))
}
ciprop <- function(p, variable, level) row("proportion", variable, coef(p), SE(p), attr(p, "ci"), level=level)
ratio <- function(r, num, den) {
  ci <- confint(r)
  x <- row("ratio", NULL, coef(r), SE(r), ci[1, ]); x$variable <- NULL; x$numerator <- num; x$denominator <- den; x
}
weights_of <- function(D, base) {
  if (inherits(D, "svyrep.design")) {
    w <- weights(D, "sampling"); w0 <- weights(base, "sampling"); rep <- weights(D, "analysis")
    list(n=length(w), sum=sum(w), min=min(w), max=max(w), g_min=min(w / w0), g_max=max(w / w0),
         rep_min=min(rep), rep_max=max(rep), rep_colsum_min=min(colSums(rep)), rep_colsum_max=max(colSums(rep)))
  } else {
    w <- weights(D); w0 <- weights(base)
    list(n=length(w), sum=sum(w), min=min(w), max=max(w), g_min=min(w / w0), g_max=max(w / w0))
  }
}
write_case <- function(id, title, data, factors, r_setup, r_call, design, calibration, estimates, D, base, results) {
  spec <- list(id=id, title=title, data=data, factors=factors, r_setup=r_setup, r_call=r_call, design=design,
               calibration=calibration, estimates=estimates)
  exp <- list(oracle="R survey calibration (corridor extra cases)",
              versions=list(R=paste(R.version$major, R.version$minor, sep="."),
                            survey=as.character(packageVersion("survey"))),
              weights=weights_of(D, base), results=results)
  writeLines(toJSON(spec, digits=NA, auto_unbox=TRUE, pretty=TRUE, null="null"), file.path("cases", paste0(id, ".json")))
  writeLines(toJSON(exp, digits=NA, auto_unbox=TRUE, pretty=TRUE, null="null"), file.path("expected", paste0(id, ".json")))
}
clus_design <- list(type="taylor", ids=list("dnum"), weights=list("pw"), fpc=list("fpc"))
greg <- list(method="calibrate", formula=list("stype", "api99"),
             population=list(`(Intercept)`=6194, stypeH=755, stypeM=1018, api99=3914069))

# ---- CALX01: quantiles, proportions, a subpopulation on a GREG-calibrated cluster design -------------
D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069))
q <- svyquantile(~api00, D, c(0.25, 0.5), ci=TRUE, interval.type="mean")
bq <- svyby(~api00, ~sch.wide, D, svyquantile, quantiles=0.5, ci=TRUE, interval.type="mean")
p <- svyciprop(~I(sch.wide=="Yes"), D, method="logit")
s <- svytotal(~enroll, subset(D, both=="Yes"))
sm <- svymean(~api00, subset(D, both=="Yes"))
res <- c(quant(q, "api00", c(0.25, 0.5)),
         lapply(seq_len(nrow(bq)), function(i) { x <- row("quantile", "api00", coef(bq)[i], SE(bq)[i], NULL, prob=0.5,
                                                       by=list(sch.wide=bq$sch.wide[i])); x }),
         list(ciprop(p, "sch.wide", "Yes")),
         lapply(stat(s, "total", "enroll"), function(x) { x$subset <- "both == 'Yes'"; x }),
         lapply(stat(sm, "mean", "api00"), function(x) { x$subset <- "both == 'Yes'"; x }))
write_case("CALX01", "dclus1 GREG (stype + api99): quantiles, by-domain quantile, logit proportion, subpopulation",
  "apiclus1.csv", list("stype"), "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc); pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)",
  "D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069)); svyquantile(~api00, D, c(0.25,0.5), ci=TRUE, interval.type='mean'); svyby(~api00, ~sch.wide, D, svyquantile, quantiles=0.5, ci=TRUE, interval.type='mean'); svyciprop(~I(sch.wide=='Yes'), D, method='logit'); svytotal(~enroll, subset(D, both=='Yes')); svymean(~api00, subset(D, both=='Yes'))",
  clus_design, greg,
  list(list(estimand="quantile", variables=list("api00"), probs=c(0.25, 0.5)),
       list(estimand="quantile", variables=list("api00"), probs=list(0.5), by=list("sch.wide"), ci=FALSE),
       list(estimand="proportion", variables=list("sch.wide"), level="Yes"),
       list(estimand="total", variables=list("enroll"), subset="both == 'Yes'"),
       list(estimand="mean", variables=list("api00"), subset="both == 'Yes'")),
  D, dclus1, res)

# ---- CALX02: raked design: quantile and proportion through the margins' back-fitted residuals --------
pt1 <- data.frame(stype=c("E","H","M","E","H","M"), sch.wide=c("No","No","No","Yes","Yes","Yes"), Freq=c(472,334,266,3949,421,752))
pt2 <- data.frame(stype=c("E","H","M","E","H","M"), comp.imp=c("No","No","No","Yes","Yes","Yes"), Freq=c(885,438,389,3536,317,629))
D <- rake(dclus1, list(~stype+sch.wide, ~stype+comp.imp), list(pt1, pt2), control=list(maxit=100, epsilon=1e-10))
q <- svyquantile(~api00, D, 0.5, ci=TRUE, interval.type="mean")
p <- svyciprop(~I(awards=="Yes"), D, method="logit")
m <- svymean(~enroll, D)
margins <- list(list(vars=list("stype","sch.wide"), population=pt1), list(vars=list("stype","comp.imp"), population=pt2))
write_case("CALX02", "dclus1 raked (IPF to convergence): quantile, logit proportion, mean",
  "apiclus1.csv", list("stype"), "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)",
  "D <- rake(dclus1, list(~stype+sch.wide, ~stype+comp.imp), list(pt1, pt2), control=list(maxit=100, epsilon=1e-10)); svyquantile(~api00, D, 0.5, ci=TRUE, interval.type='mean'); svyciprop(~I(awards=='Yes'), D, method='logit'); svymean(~enroll, D)",
  clus_design, list(method="rake", margins=margins, maxit=100, epsilon=1e-10),
  list(list(estimand="quantile", variables=list("api00"), probs=list(0.5)),
       list(estimand="proportion", variables=list("awards"), level="Yes"),
       list(estimand="mean", variables=list("enroll"))),
  D, dclus1, c(quant(q, "api00", 0.5), list(ciprop(p, "awards", "Yes")), stat(m, "mean", "enroll")))

# ---- CALX03: generalised raking with bounds --------------------------------------------------------
D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069), calfun="raking", bounds=c(0.6, 1.7))
m <- svymean(~api00, D); tt <- svytotal(~enroll, D); b <- svyby(~api00, ~sch.wide, D, svymean)
write_case("CALX03", "dclus1 generalised raking (calfun='raking') with bounds c(0.6, 1.7)",
  "apiclus1.csv", list("stype"), "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc); pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)",
  "D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069), calfun='raking', bounds=c(0.6,1.7)); svymean(~api00, D); svytotal(~enroll, D); svyby(~api00, ~sch.wide, D, svymean)",
  clus_design, c(greg, list(calfun="raking", bounds=c(0.6, 1.7))),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("enroll")),
       list(estimand="mean", variables=list("api00"), by=list("sch.wide"))),
  D, dclus1, c(stat(m, "mean", "api00"), stat(tt, "total", "enroll"), by_stat(b, "mean", "api00", "sch.wide")))

# ---- CALX04: bounds on the weights themselves (bounds.const) ---------------------------------------
D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069), bounds=c(18, 58), bounds.const=TRUE)
m <- svymean(~api00, D); tt <- svytotal(~enroll, D)
write_case("CALX04", "dclus1 linear calibration with bounds on the weights, c(18, 58), bounds.const=TRUE",
  "apiclus1.csv", list("stype"), "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc); pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)",
  "D <- calibrate(dclus1, ~stype+api99, c(pop, api99=3914069), bounds=c(18,58), bounds.const=TRUE); svymean(~api00, D); svytotal(~enroll, D)",
  clus_design, c(greg, list(calfun="linear", bounds=c(18, 58), bounds_const=TRUE)),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("enroll"))),
  D, dclus1, c(stat(m, "mean", "api00"), stat(tt, "total", "enroll")))

# ---- CALX05: JKn replicate weights given with the data, generalised raking, replicate by replicate -----
rstrat <- svrepdesign(data=jkn, repweights="jkn_", type="JKn", weights=~pw, scale=1, rscales=jkn_rs$rscale,
                      combined.weights=TRUE)
D <- calibrate(rstrat, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069), calfun="raking",
               compress=FALSE)
m <- svymean(~api00, D); tt <- svytotal(~enroll, D); b <- svyby(~api00, ~stype, D, svymean)
q <- svyquantile(~api00, D, 0.5, ci=TRUE, interval.type="mean")
write_case("CALX05", "apistrat JKn replicate weights (jkn_*, given), generalised raking on sch.wide + api99",
  "apistrat_jkn.csv", list("sch.wide"), "rstrat <- svrepdesign(data=apistrat_jkn, repweights='jkn_', type='JKn', weights=~pw, scale=1, rscales=rscales, combined.weights=TRUE)",
  "D <- calibrate(rstrat, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069), calfun='raking', compress=FALSE); svymean(~api00, D); svytotal(~enroll, D); svyby(~api00, ~stype, D, svymean); svyquantile(~api00, D, 0.5, ci=TRUE, interval.type='mean')",
  list(type="replicate", weights=list("pw"), repweights_regex="^jkn_", rep_type="JKn", scale=1, rscales=jkn_rs$rscale,
       combined_weights=TRUE),
  list(method="calibrate", formula=list("sch.wide", "api99"), population=list(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069),
       calfun="raking"),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("enroll")),
       list(estimand="mean", variables=list("api00"), by=list("stype")),
       list(estimand="quantile", variables=list("api00"), probs=list(0.5))),
  D, rstrat, c(stat(m, "mean", "api00"), stat(tt, "total", "enroll"), by_stat(b, "mean", "api00", "stype"),
               quant(q, "api00", 0.5)))

# ---- CALX06: bootstrap replicate weights given with the data, generalised raking ----------------------
# (with bounds most bootstrap replicates cannot meet them: a replicate drops a third of the PSUs)
rboot <- svrepdesign(data=boot, repweights="bs_", type="bootstrap", weights=~pw, combined.weights=TRUE,
                     scale=0.021865889212827987)
D <- calibrate(rboot, ~stype+api99, c(pop, api99=3914069), calfun="raking", compress=FALSE)
m <- svymean(~api00, D); tt <- svytotal(~stype, D); r <- svyratio(~api.stu, ~enroll, D)
write_case("CALX06", "apiclus1 bootstrap replicate weights (bs_*, given), generalised raking on stype + api99",
  "apiclus1_boot.csv", list("stype"), "rboot <- svrepdesign(data=apiclus1_boot, repweights='bs_', type='bootstrap', weights=~pw, combined.weights=TRUE, scale=0.021865889212827987); pop <- c(`(Intercept)`=6194, stypeH=755, stypeM=1018)",
  "D <- calibrate(rboot, ~stype+api99, c(pop, api99=3914069), calfun='raking', compress=FALSE); svymean(~api00, D); svytotal(~stype, D); svyratio(~api.stu, ~enroll, D)",
  list(type="replicate", weights=list("pw"), repweights_regex="^bs_", rep_type="bootstrap", scale=0.021865889212827987,
       combined_weights=TRUE),
  c(greg, list(calfun="raking")),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("stype")),
       list(estimand="ratio", numerator=list("api.stu"), denominator=list("enroll"))),
  D, rboot, c(stat(m, "mean", "api00"), factor_stat(tt, "total", "stype", c("E","H","M")), list(ratio(r, "api.stu", "enroll"))))

# ---- CALX07 / CALX08: BRR and Fay's BRR replicate weights (multipliers), calibrated / post-stratified --
scd$ESA <- as.character(scd$ESA)
scdrep <- svrepdesign(data=scd, type="BRR", repweights="brr", combined.weights=FALSE)
D <- calibrate(scdrep, ~ESA, c(`(Intercept)`=36, ESA2=14, ESA3=12), compress=FALSE)
tt <- svytotal(~arrests, D); m <- svymean(~alive, D); r <- svyratio(~alive, ~arrests, D)
write_case("CALX07", "scd BRR (multipliers, given), linear calibration to ESA counts",
  "scd_brr.csv", list("ESA"), "scdrep <- svrepdesign(data=scd_brr, type='BRR', repweights='brr', combined.weights=FALSE)",
  "D <- calibrate(scdrep, ~ESA, c(`(Intercept)`=36, ESA2=14, ESA3=12), compress=FALSE); svytotal(~arrests, D); svymean(~alive, D); svyratio(~alive, ~arrests, D)",
  list(type="replicate", repweights_regex="^brr", rep_type="BRR", combined_weights=FALSE),
  list(method="calibrate", formula=list("ESA"), population=list(`(Intercept)`=36, ESA2=14, ESA3=12), calfun="linear"),
  list(list(estimand="total", variables=list("arrests")), list(estimand="mean", variables=list("alive")),
       list(estimand="ratio", numerator=list("alive"), denominator=list("arrests"))),
  D, scdrep, c(stat(tt, "total", "arrests"), stat(m, "mean", "alive"), list(ratio(r, "alive", "arrests"))))

scdfay <- svrepdesign(data=scd, type="Fay", rho=0.3, repweights="fay", combined.weights=FALSE, mse=TRUE)
esa <- data.frame(ESA=c("1","2","3"), Freq=c(10, 14, 12))
D <- postStratify(scdfay, ~ESA, esa)
tt <- svytotal(~arrests, D); m <- svymean(~alive, D)
write_case("CALX08", "scd Fay's BRR (rho 0.3, multipliers, mse), post-stratified on ESA",
  "scd_brr.csv", list("ESA"), "scdfay <- svrepdesign(data=scd_brr, type='Fay', rho=0.3, repweights='fay', combined.weights=FALSE, mse=TRUE)",
  "D <- postStratify(scdfay, ~ESA, data.frame(ESA=c('1','2','3'), Freq=c(10,14,12))); svytotal(~arrests, D); svymean(~alive, D)",
  list(type="replicate", repweights_regex="^fay", rep_type="Fay", rho=0.3, combined_weights=FALSE, mse=TRUE),
  list(method="postStratify", strata=list("ESA"), population=esa),
  list(list(estimand="total", variables=list("arrests")), list(estimand="mean", variables=list("alive"))),
  D, scdfay, c(stat(tt, "total", "arrests"), stat(m, "mean", "alive")))

# ---- CALX09: rake() on JK1 replicate weights given with the data ------------------------------------
rjk1 <- svrepdesign(data=jk1, repweights="jk1_", type="JK1", weights=~pw, combined.weights=TRUE, scale=0.9148392778511668)
D <- rake(rjk1, list(~stype+sch.wide, ~stype+comp.imp), list(pt1, pt2), control=list(maxit=100, epsilon=1e-10))
m <- svymean(~api00, D); b <- svyby(~api00, ~sch.wide, D, svymean)
write_case("CALX09", "apiclus1 JK1 replicate weights (jk1_*, given) raked to stype x sch.wide and stype x comp.imp",
  "apiclus1_jk1.csv", list("stype"), "rjk1 <- svrepdesign(data=apiclus1_jk1, repweights='jk1_', type='JK1', weights=~pw, combined.weights=TRUE, scale=0.9148392778511668)",
  "D <- rake(rjk1, list(~stype+sch.wide, ~stype+comp.imp), list(pt1, pt2), control=list(maxit=100, epsilon=1e-10)); svymean(~api00, D); svyby(~api00, ~sch.wide, D, svymean)",
  list(type="replicate", weights=list("pw"), repweights_regex="^jk1_", rep_type="JK1", scale=0.9148392778511668,
       combined_weights=TRUE),
  list(method="rake", margins=margins, maxit=100, epsilon=1e-10),
  list(list(estimand="mean", variables=list("api00")), list(estimand="mean", variables=list("api00"), by=list("sch.wide"))),
  D, rjk1, c(stat(m, "mean", "api00"), by_stat(b, "mean", "api00", "sch.wide")))

# ---- CALX10: a stratified design converted to JKn, recalibrated replicate by replicate ---------------
rstratn <- as.svrepdesign(dstrat, type="JKn")
D <- calibrate(rstratn, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069), compress=FALSE)
m <- svymean(~api00, D); tt <- svytotal(~enroll, D); b <- svyby(~enroll, ~stype, D, svytotal)
write_case("CALX10", "dstrat converted to JKn (as.svrepdesign), linear calibration on sch.wide + api99",
  "apistrat.csv", list("sch.wide"), "dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc); rstratn <- as.svrepdesign(dstrat, type='JKn')",
  "D <- calibrate(rstratn, ~sch.wide+api99, c(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069), compress=FALSE); svymean(~api00, D); svytotal(~enroll, D); svyby(~enroll, ~stype, D, svytotal)",
  list(type="taylor", ids=list("snum"), strata=list("stype"), weights=list("pw"), fpc=list("fpc"), convert=list(type="JKn")),
  list(method="calibrate", formula=list("sch.wide", "api99"), population=list(`(Intercept)`=6194, sch.wideYes=5122, api99=3914069),
       calfun="linear"),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("enroll")),
       list(estimand="total", variables=list("enroll"), by=list("stype"))),
  D, rstratn, c(stat(m, "mean", "api00"), stat(tt, "total", "enroll"), by_stat(b, "total", "enroll", "stype")))

# ---- CALX11: post-stratification of a converted JK1 design -------------------------------------------
rclus1 <- as.svrepdesign(dclus1, type="JK1")
st <- data.frame(stype=c("E","H","M"), Freq=c(4421, 755, 1018))
D <- postStratify(rclus1, ~stype, st)
m <- svymean(~api00, D); tt <- svytotal(~enroll, D)
write_case("CALX11", "dclus1 converted to JK1, post-stratified on school type",
  "apiclus1.csv", list("stype"), "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc); rclus1 <- as.svrepdesign(dclus1, type='JK1')",
  "D <- postStratify(rclus1, ~stype, data.frame(stype=c('E','H','M'), Freq=c(4421,755,1018))); svymean(~api00, D); svytotal(~enroll, D)",
  c(clus_design, list(convert=list(type="JK1"))), list(method="postStratify", strata=list("stype"), population=st),
  list(list(estimand="mean", variables=list("api00")), list(estimand="total", variables=list("enroll"))),
  D, rclus1, c(stat(m, "mean", "api00"), stat(tt, "total", "enroll")))
