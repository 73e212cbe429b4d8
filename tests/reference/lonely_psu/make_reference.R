# Covariances of domain estimates under every lonely-PSU rule, with and without
# survey.adjust.domain.lonely, for cluster, element and two-stage designs with lonely strata.
# Run: Rscript make_reference.R ../../data/r_survey > expected.json   (R 4.2.2, survey 4.1-1)
#
# Each case records R's svyby(..., covmat=TRUE) result: the row standard errors `se` and the
# matrix `vcov_r`. R builds the two differently: each row's SE comes from the domain's own
# subset (its strata and PSUs), the matrix from the whole design. Under 'average' (strata
# counted over the whole design instead of the domain's) and under adjust.domain.lonely (a
# domain's single PSU in a stratum is never single in the whole design) the diagonal of R's
# matrix then differs from R's own squared row SEs, and a contrast disagrees with the rows it
# compares. `vcov` is the matrix whose diagonal is R's squared row SEs: the per-stratum
# cross-products of R's influence functions (svyby's own, attr "influence") under the rule
# each domain's row used. The script checks that its diagonal equals R's SE^2 for every rule
# and that it equals R's vcov wherever R's rows and matrix agree (`consistent`).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../data/r_survey"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
apistrat <- rd("apistrat.csv"); apiclus2 <- rd("apiclus2.csv")
num <- function(x) unname(as.numeric(x))

rows_vcov <- function(infl, present, design, rule, adl) {
  st <- design$strata[, 1]; cl <- design$cluster[, 1]; np <- design$fpc$sampsize[, 1]
  pop <- design$fpc$popsize
  K <- ncol(infl); V <- matrix(0, K, K); nstrat <- numeric(K); nok <- numeric(K)
  for (h in unique(st)) {
    i <- st == h
    X <- rowsum(infl[i, , drop = FALSE], cl[i])
    P <- rowsum(present[i, , drop = FALSE] * 1, cl[i]) > 0
    n <- np[i][1]; stopifnot(nrow(X) == n)
    f <- if (is.null(pop)) 1 else (pop[i, 1][1] - n) / pop[i, 1][1]
    m <- colSums(P)
    w <- rep(if (n > 1) f * n / (n - 1) else f, K); centred <- rep(TRUE, K); na <- rep(FALSE, K)
    if (n == 1) {
      if (rule %in% c("remove", "certainty")) w[] <- 0
      if (rule == "adjust") centred[] <- FALSE
      if (rule == "average") na[] <- TRUE
    }
    if (adl) {
      dl <- m == 1 & n > 1
      if (rule == "adjust") centred[dl] <- FALSE
      if (rule == "average") na[dl] <- TRUE
    }
    if (f < 1e-7) { w[] <- 0; na[] <- FALSE }
    has <- m > 0
    nstrat <- nstrat + has; nok <- nok + (has & !na)
    w[na | !has] <- 0
    Xc <- sweep(X, 2, ifelse(centred, colMeans(X), 0))
    V <- V + crossprod(sweep(Xc, 2, sqrt(w), "*"))
  }
  D <- sqrt(nstrat / nok)
  V * outer(D, D)
}

cases <- list()
add <- function(id, setup, call, design_spec, by, estimand, b, d, present, rule, adl, single_stage = TRUE) {
  # R orders several statistics per domain statistic-major; corridor's rows are domain-major
  D <- nrow(b); K <- length(coef(b)); q <- as.vector(t(matrix(1:K, nrow = D)))
  se2 <- as.vector(as.matrix(SE(b)))[q]^2
  vr <- unname(vcov(b))[q, q]
  consistent <- isTRUE(all.equal(diag(vr), se2, tolerance = 1e-12))
  case <- list(id = id, r_setup = setup, r_call = call, design = design_spec, by = by, estimand = estimand,
               lonely_psu = rule, adjust_domain_lonely = adl, names = colnames(vcov(b))[q],
               estimate = num(coef(b))[q], se = sqrt(se2), vcov_r = vr, consistent = consistent)
  if (single_stage) {
    v <- unname(rows_vcov(attr(b, "influence"), present, d, rule, adl))  # domain-major, as svyby's influence
    stopifnot(isTRUE(all.equal(diag(v), se2, tolerance = 1e-10)))
    if (consistent) stopifnot(isTRUE(all.equal(v, vr, tolerance = 1e-10)))
    case$vcov <- v
  } else if (consistent) {
    case$vcov <- vr
  }
  cases[[length(cases) + 1]] <<- case
}

rules <- c("remove", "certainty", "adjust", "average")
stype <- sort(unique(apistrat$stype))
dom <- sapply(stype, function(s) apistrat$stype == s)
for (rule in rules) for (adl in c(FALSE, TRUE)) {
  options(survey.lonely.psu = rule, survey.adjust.domain.lonely = adl)
  opt <- sprintf("options(survey.lonely.psu='%s', survey.adjust.domain.lonely=%s); ", rule, adl)
  tag <- paste0(rule, if (adl) "_adl" else "")
  # PSUs (districts) in strata (counties): 16 counties have one sampled district
  dc <- svydesign(id = ~dnum, strata = ~cname, weights = ~pw, data = apistrat)
  dc_spec <- list(ids = "dnum", strata = "cname", weights = "pw")
  setup <- paste0(opt, "dc <- svydesign(id=~dnum, strata=~cname, weights=~pw, data=apistrat)")
  b <- suppressWarnings(svyby(~api00, ~stype, dc, svymean, covmat = TRUE, influence = TRUE))
  add(paste0("cluster_mean_", tag), setup, "svyby(~api00, ~stype, dc, svymean, covmat=TRUE)", dc_spec, "stype",
      "mean:api00", b, dc, dom, rule, adl)
  b <- suppressWarnings(svyby(~awards, ~stype, dc, svymean, covmat = TRUE, influence = TRUE))
  add(paste0("cluster_shares_", tag), setup, "svyby(~awards, ~stype, dc, svymean, covmat=TRUE)", dc_spec, "stype",
      "mean:awards", b, dc, dom[, rep(1:3, each = 2)], rule, adl)
  b <- suppressWarnings(svyby(~api.stu, ~stype, dc, svyratio, denominator = ~enroll, covmat = TRUE, influence = TRUE))
  add(paste0("cluster_ratio_", tag), setup, "svyby(~api.stu, ~stype, dc, svyratio, denominator=~enroll, covmat=TRUE)",
      dc_spec, "stype", "ratio:api.stu/enroll", b, dc, dom, rule, adl)
  # rows as PSUs in strata (counties): 13 counties have one sampled school
  de <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)
  de_spec <- list(strata = "cname", weights = "pw")
  setup <- paste0(opt, "de <- svydesign(id=~1, strata=~cname, weights=~pw, data=apistrat)")
  b <- suppressWarnings(svyby(~api00, ~stype, de, svymean, covmat = TRUE, influence = TRUE))
  add(paste0("element_mean_", tag), setup, "svyby(~api00, ~stype, de, svymean, covmat=TRUE)", de_spec, "stype",
      "mean:api00", b, de, dom, rule, adl)
  b <- suppressWarnings(svyby(~api00, ~stype, de, svytotal, covmat = TRUE, influence = TRUE))
  add(paste0("element_total_", tag), setup, "svyby(~api00, ~stype, de, svytotal, covmat=TRUE)", de_spec, "stype",
      "total:api00", b, de, dom, rule, adl)
  # two stages with fpc: districts, then schools (some districts have one sampled school)
  d2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)
  b <- suppressWarnings(svyby(~api00, ~stype, d2, svymean, covmat = TRUE, influence = TRUE))
  add(paste0("twostage_mean_", tag), paste0(opt, "d2 <- svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)"),
      "svyby(~api00, ~stype, d2, svymean, covmat=TRUE)", list(ids = c("dnum", "snum"), fpc = c("fpc1", "fpc2")),
      "stype", "mean:api00", b, d2, NULL, rule, adl, single_stage = FALSE)
}

# whole-design covariances (vcov of several estimates of one design)
whole <- list()
for (rule in rules) {
  options(survey.lonely.psu = rule, survey.adjust.domain.lonely = FALSE)
  opt <- sprintf("options(survey.lonely.psu='%s'); ", rule)
  dc <- svydesign(id = ~dnum, strata = ~cname, weights = ~pw, data = apistrat)
  de <- svydesign(id = ~1, strata = ~cname, weights = ~pw, data = apistrat)
  m <- svymean(~api00 + api99, dc); t <- svytotal(~stype, de)
  whole[[rule]] <- list(
    cluster_means = list(r_setup = paste0(opt, "dc <- svydesign(id=~dnum, strata=~cname, weights=~pw, data=apistrat)"),
                         r_call = "vcov(svymean(~api00+api99, dc))", estimate = num(coef(m)), vcov = unname(vcov(m))),
    element_totals = list(r_setup = paste0(opt, "de <- svydesign(id=~1, strata=~cname, weights=~pw, data=apistrat)"),
                          r_call = "vcov(svytotal(~stype, de))", names = names(coef(t)), estimate = num(coef(t)),
                          vcov = unname(vcov(t))))
}

# a contrast as svycontrast computes it, where R's rows and matrix agree
options(survey.lonely.psu = "adjust", survey.adjust.domain.lonely = FALSE)
dc <- svydesign(id = ~dnum, strata = ~cname, weights = ~pw, data = apistrat)
b <- svyby(~api00, ~stype, dc, svymean, covmat = TRUE)
k <- svycontrast(b, c(E = 1, H = -1))
contrast <- list(r_setup = "options(survey.lonely.psu='adjust'); dc <- svydesign(id=~dnum, strata=~cname, weights=~pw, data=apistrat)",
                 r_call = "svycontrast(svyby(~api00, ~stype, dc, svymean, covmat=TRUE), c(E=1, H=-1))",
                 estimate = num(coef(k)), se = num(SE(k)))

out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))),
            cases = cases, whole = whole, contrast = contrast)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"))
