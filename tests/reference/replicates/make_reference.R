# Replicate designs: degrees of freedom per domain (svyby makes each domain a subset whose degf
# is the rank of its rows' replicate weights minus one) and quantile intervals from replicate
# quantiles (svyquantile(..., interval.type="quantile")).
# Run: Rscript make_reference.R ../../data/r_survey > expected.json   (R 4.2.2, survey 4.1-1)
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../data/r_survey"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
num <- function(x) unname(as.numeric(x))
out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))))

jk <- rd("apiclus1_jk1.csv"); boot <- rd("apiclus1_boot.csv"); apiclus1 <- rd("apiclus1.csv"); nhanes <- rd("nhanes.csv")
rjk <- svrepdesign(repweights = "jk1_", weights = ~pw, type = "JK1", scale = 0.9148392778511668, data = jk,
                   combined.weights = TRUE)
rboot <- svrepdesign(repweights = "bs_", weights = ~pw, type = "bootstrap", scale = 0.021865889212827987, data = boot,
                     combined.weights = TRUE)
setup_jk <- "rjk <- svrepdesign(repweights='jk1_', weights=~pw, type='JK1', scale=0.9148392778511668, data=apiclus1_jk1, combined.weights=TRUE)"
setup_boot <- "rboot <- svrepdesign(repweights='bs_', weights=~pw, type='bootstrap', scale=0.021865889212827987, data=apiclus1_boot, combined.weights=TRUE)"
dom_degf <- function(design, var, levels) sapply(levels, function(l) degf(design[design$variables[[var]] == l, ]))
stypes <- c("E", "H", "M")

# proportions by domain: svyciprop's interval uses the domain's degf
b <- svyby(~I(sch.wide == "Yes"), ~stype, rjk, svyciprop, method = "logit", vartype = c("se", "ci"))
out$jk1_prop_by <- list(r_setup = setup_jk,
  r_call = "svyby(~I(sch.wide=='Yes'), ~stype, rjk, svyciprop, method='logit', vartype=c('se','ci')); degf(subset)",
  levels = stypes, estimate = num(coef(b)), se = num(SE(b)), ci_low = num(b$ci_l), ci_high = num(b$ci_u),
  df = num(dom_degf(rjk, "stype", stypes)), design_df = degf(rjk))
b <- svyby(~api00, ~stype, rboot, svymean)
out$boot_mean_by <- list(r_setup = setup_boot, r_call = "svyby(~api00, ~stype, rboot, svymean); degf(subset)",
  levels = stypes, estimate = num(coef(b)), se = num(SE(b)), df = num(dom_degf(rboot, "stype", stypes)),
  design_df = degf(rboot))
# a subpopulation: the domains of subset(rboot, both == "Yes")
sub <- subset(rboot, yr.rnd == "No")
b <- svyby(~I(sch.wide == "Yes"), ~stype, sub, svyciprop, method = "beta", vartype = c("se", "ci"))
out$boot_prop_sub <- list(r_setup = paste(setup_boot, "; sub <- subset(rboot, yr.rnd=='No')"),
  r_call = "svyby(~I(sch.wide=='Yes'), ~stype, sub, svyciprop, method='beta', vartype=c('se','ci'))",
  levels = stypes, estimate = num(coef(b)), se = num(SE(b)), ci_low = num(b$ci_l), ci_high = num(b$ci_u),
  df = num(dom_degf(sub, "stype", stypes)))

# converted designs: as.svrepdesign gives the design the Taylor degf; svyby's subsets recompute the rank
dnh <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
rnh <- as.svrepdesign(dnh, type = "JKn")
b <- svyby(~I(HI_CHOL == 1), ~race, subset(rnh, !is.na(HI_CHOL)), svyciprop, method = "logit", vartype = c("se", "ci"))
races <- sort(unique(nhanes$race))
apistrat <- rd("apistrat.csv")
dstrat <- svydesign(id = ~snum, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
rstrat <- as.svrepdesign(dstrat, type = "JKn")
b2 <- svyby(~I(sch.wide == "Yes"), ~yr.rnd, rstrat, svyciprop, method = "logit", vartype = c("se", "ci"))
out$jkn_strat_prop_by <- list(
  r_setup = "dstrat <- svydesign(id=~snum, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc); rstrat <- as.svrepdesign(dstrat, type='JKn')",
  r_call = "svyby(~I(sch.wide=='Yes'), ~yr.rnd, rstrat, svyciprop, method='logit', vartype=c('se','ci'))",
  levels = c("No", "Yes"), estimate = num(coef(b2)), se = num(SE(b2)), ci_low = num(b2$ci_l), ci_high = num(b2$ci_u),
  df = num(dom_degf(rstrat, "yr.rnd", c("No", "Yes"))), design_df = degf(rstrat))
out$jkn_prop_by <- list(
  r_setup = "dnh <- svydesign(id=~SDMVPSU, strata=~SDMVSTRA, weights=~WTMEC2YR, nest=TRUE, data=nhanes); rnh <- as.svrepdesign(dnh, type='JKn')",
  r_call = "svyby(~I(HI_CHOL==1), ~race, subset(rnh, !is.na(HI_CHOL)), svyciprop, method='logit', vartype=c('se','ci'))",
  levels = races, estimate = num(coef(b)), se = num(SE(b)), ci_low = num(b$ci_l), ci_high = num(b$ci_u),
  df = num(sapply(races, function(r) degf(subset(rnh, !is.na(HI_CHOL) & race == r)))), design_df = degf(rnh))

# quantiles from replicate quantiles
q <- svyquantile(~api00, rboot, quantiles = c(0.25, 0.5, 0.75), interval.type = "quantile", ci = TRUE)
out$boot_quantile <- list(r_setup = setup_boot,
  r_call = "svyquantile(~api00, rboot, quantiles=c(0.25,0.5,0.75), interval.type='quantile', ci=TRUE)",
  probs = c(0.25, 0.5, 0.75), estimate = num(q$api00[, 1]), ci_low = num(q$api00[, 2]), ci_high = num(q$api00[, 3]),
  se = num(q$api00[, 4]), df = degf(rboot))
b <- svyby(~api00, ~stype, rboot, svyquantile, quantiles = 0.5, interval.type = "quantile", qrule = "hf7", ci = TRUE,
           vartype = c("se", "ci"))
out$boot_quantile_by <- list(r_setup = setup_boot,
  r_call = "svyby(~api00, ~stype, rboot, svyquantile, quantiles=0.5, interval.type='quantile', qrule='hf7', ci=TRUE, vartype=c('se','ci'))",
  levels = stypes, estimate = num(coef(b)), se = num(SE(b)), ci_low = num(b$ci_l), ci_high = num(b$ci_u),
  df = num(dom_degf(rboot, "stype", stypes)))
q <- suppressWarnings(svyquantile(~api00, rjk, quantiles = 0.5, interval.type = "quantile", ci = TRUE))
out$jk1_quantile <- list(r_setup = setup_jk,
  r_call = "svyquantile(~api00, rjk, quantiles=0.5, interval.type='quantile', ci=TRUE)  # R warns: jackknife SEs of quantiles may be invalid",
  estimate = num(q$api00[, 1]), ci_low = num(q$api00[, 2]), ci_high = num(q$api00[, 3]), se = num(q$api00[, 4]))
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
b <- suppressWarnings(svyby(~api00, ~stype, rclus1, svyquantile, quantiles = c(0.25, 0.5), interval.type = "quantile",
                            ci = TRUE, vartype = c("se", "ci")))
out$jk1_converted_quantile_by <- list(
  r_setup = "dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc); rclus1 <- as.svrepdesign(dclus1, type='JK1')",
  r_call = "svyby(~api00, ~stype, rclus1, svyquantile, quantiles=c(0.25,0.5), interval.type='quantile', ci=TRUE, vartype=c('se','ci'))",
  levels = stypes, probs = c(0.25, 0.5),
  estimate = as.vector(t(matrix(coef(b), nrow = 3))), se = as.vector(t(matrix(as.matrix(SE(b)), nrow = 3))),
  ci_low = as.vector(t(as.matrix(b[, grep("^ci_l", names(b))]))), ci_high = as.vector(t(as.matrix(b[, grep("^ci_u", names(b))]))),
  df = num(dom_degf(rclus1, "stype", stypes)))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
