# Reference values for rows of weight 0: R treats them as outside the sample. corridor follows
# svydesign() on every row and subset(design, w > 0): the rows contribute nothing and keep their
# PSU and stratum in the design (PSU 5 has only rows of weight 0: it still counts in stratum 1).
# Run: Rscript make_reference.R > expected.json   (R 4.2.2, survey 4.1-1; writes data.csv)
suppressMessages({library(survey); library(jsonlite)})
set.seed(7)
n <- 60
df <- data.frame(h = rep(1:3, each = 20), psu = rep(1:12, each = 5), y = round(rnorm(n, 50, 10), 1),
                 x = round(runif(n, 1, 5), 2), g = rep(c("a", "b", "c"), 20))
df$w <- round(runif(n, 1, 9), 1)
df$w[c(2, 7, 13, 21, 22, 23, 24, 25, 41, 58)] <- 0
write.csv(df, "data.csv", row.names = FALSE)
num <- function(x) unname(as.numeric(x))
one <- function(call, est) list(call = call, estimate = num(coef(est)), se = num(SE(est)))
out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey"))),
            zero_weight_rows = sum(df$w == 0))
d <- svydesign(ids = ~psu, strata = ~h, weights = ~w, data = df)
sub <- subset(d, w > 0)
out$degf <- list(call = "degf(subset(svydesign(ids=~psu, strata=~h, weights=~w, data=df), w > 0))", value = degf(sub))
out$mean <- one("svymean(~y, sub)", svymean(~y, sub))
out$total <- one("svytotal(~y, sub)", svytotal(~y, sub))
r <- svyratio(~y, ~x, sub)
out$ratio <- list(call = "svyratio(~y, ~x, sub)", estimate = num(coef(r)), se = num(SE(r)))
b <- svyby(~y, ~g, sub, svymean)
out$by_mean <- list(call = "svyby(~y, ~g, sub, svymean)", levels = as.character(b$g), estimate = num(coef(b)),
                    se = num(SE(b)))
q <- svyquantile(~y, sub, quantiles = 0.5, ci = TRUE)
out$median <- list(call = "svyquantile(~y, sub, quantiles=0.5, ci=TRUE)", estimate = num(coef(q)), se = num(SE(q)),
                   ci = num(confint(q)))
e <- subset(svydesign(ids = ~1, strata = ~h, weights = ~w, data = df), w > 0)
out$element_mean <- one("svymean(~y, subset(svydesign(ids=~1, strata=~h, weights=~w, data=df), w > 0))",
                        svymean(~y, e))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
