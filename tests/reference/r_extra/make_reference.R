# Reference values for corridor's tests beyond the shared R survey cases: domain contrasts with
# their covariance, design effects, and replicate-design quantiles and proportions.
# Run: Rscript make_reference.R ../../data/r_survey > expected.json   (R 4.2.2, survey 4.1-1)
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../data/r_survey"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
apiclus1 <- rd("apiclus1.csv"); apistrat <- rd("apistrat.csv")
dclus1 <- svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)
dstrat <- svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)
out <- list(versions=list(R=R.version.string, survey=as.character(packageVersion("survey"))))
num <- function(x) unname(as.numeric(x))

b <- svyby(~api00, ~stype, dclus1, svymean, covmat=TRUE)
d <- svycontrast(b, c(E=1, H=-1)); r <- svycontrast(b, quote(E/H))
out$clus1_contrast <- list(call="svycontrast(svyby(~api00,~stype,dclus1,svymean,covmat=TRUE), E-H and E/H)",
  vcov=unname(vcov(b)), levels=as.character(b$stype),
  diff=num(coef(d)), diff_se=num(SE(d)), ratio=num(coef(r)), ratio_se=num(SE(r)))

b2 <- svyby(~api00, ~awards, dstrat, svymean, covmat=TRUE)
d2 <- svycontrast(b2, c(Yes=1, No=-1))
out$strat_contrast <- list(call="svycontrast(svyby(~api00,~awards,dstrat,svymean,covmat=TRUE), Yes-No)",
  diff=num(coef(d2)), diff_se=num(SE(d2)), vcov=unname(vcov(b2)))

m <- svymean(~api00, dstrat, deff=TRUE); t <- svytotal(~enroll, dclus1, deff=TRUE)
bd <- svyby(~api00, ~stype, dclus1, svymean, deff=TRUE)
out$deff <- list(strat_mean=num(deff(m)), clus1_total=num(deff(t)), clus1_mean_by_stype=num(deff(bd)),
                 by_levels=as.character(bd$stype))

rclus1 <- as.svrepdesign(dclus1, type="JK1")
q <- svyquantile(~api00, rclus1, quantiles=0.5, interval.type="mean", ci=TRUE)
p <- svyciprop(~I(sch.wide=="Yes"), rclus1, method="logit")
out$jk1_quantile <- list(estimate=num(coef(q)), se=num(SE(q)), ci=num(confint(q)))
out$jk1_prop <- list(estimate=num(coef(p)), se=num(SE(p)), ci=num(attr(p, "ci")), df=degf(rclus1))
cat(toJSON(out, digits=NA, auto_unbox=TRUE, pretty=TRUE))
