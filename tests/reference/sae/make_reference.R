# Expected results of R sae's eblupFH()/mseFH() for every spec in cases/ (written to expected/).
#
# Not run by the tests (they read expected/). To rebuild, with R 4.2.2 and sae 1.3 in a private
# library (sae is not packaged by Debian; build it from its CRAN release source):
#   R CMD INSTALL -l "$SAE_LIB" <sae 1.3 source>
#   SAE_LIB=... Rscript tests/reference/sae/make_reference.R            # every case
#   SAE_LIB=... Rscript tests/reference/sae/make_reference.R SAE10      # some cases
#
# Each spec names the data (CSV in data/), the response, covariates, factors (treatment dummies,
# first level dropped, as model.matrix does), whether the model has an intercept, the column of
# sampling variances, the method, and sae's MAXITER / PRECISION. The spec's r_call is the
# literal call on sae's own data objects; this script builds the same model from the CSV copy.

lib <- Sys.getenv("SAE_LIB")
if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
suppressMessages(library(sae))
library(jsonlite)

here <- local({
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f)) dirname(normalizePath(f)) else "."
})
wanted <- commandArgs(trailingOnly = TRUE)

# 17 significant digits (jsonlite alone writes 15): the doubles round-trip exactly
num <- function(x) structure(sprintf("%.17g", unname(as.numeric(x))), class = "json")

run_case <- function(path) {
  spec <- fromJSON(path, simplifyVector = TRUE)
  if (length(wanted) && !(spec$id %in% wanted)) return(invisible(NULL))
  data <- read.csv(file.path(here, "cases", spec$data), check.names = FALSE)
  covs <- if (is.null(spec$covariates)) character(0) else spec$covariates
  facs <- if (is.null(spec$factors)) character(0) else spec$factors
  for (f in facs) data[[f]] <- factor(data[[f]])
  rhs <- if (length(covs)) paste(covs, collapse = " + ") else "1"
  intercept <- if (is.null(spec$intercept)) TRUE else spec$intercept
  if (!intercept) rhs <- paste(rhs, "- 1")
  formula <- as.formula(paste(spec$response, "~", rhs))
  maxiter <- if (is.null(spec$maxiter)) 100 else spec$maxiter
  precision <- if (is.null(spec$precision)) 1e-4 else spec$precision
  vardir <- data[[spec$vardir]]
  mf <- model.frame(formula, data)
  X <- model.matrix(formula, data)
  y <- model.response(mf)
  est <- eblupFH(y ~ X - 1, vardir, method = spec$method, MAXITER = maxiter, PRECISION = precision)
  out <- list(
    oracle = "R sae",
    versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                    sae = as.character(packageVersion("sae")),
                    MASS = as.character(packageVersion("MASS")),
                    lme4 = as.character(packageVersion("lme4"))),
    formula = deparse(formula),
    n_areas = length(y),
    fit = list(method = spec$method, convergence = est$fit$convergence, iterations = est$fit$iterations,
               maxiter = maxiter, precision = precision)
  )
  if (isTRUE(est$fit$convergence)) {
    mse <- mseFH(y ~ X - 1, vardir, method = spec$method, MAXITER = maxiter, PRECISION = precision)
    g <- est$fit$goodness
    out$fit$refvar <- num(est$fit$refvar)
    out$fit$goodness <- list(loglike = num(g["loglike"]), AIC = num(g["AIC"]), BIC = num(g["BIC"]),
                             KIC = num(g["KIC"]))
    co <- est$fit$estcoef
    out$coefficients <- lapply(seq_len(nrow(co)), function(i) list(
      term = colnames(X)[i], beta = num(co[i, "beta"]), std_error = num(co[i, "std.error"]),
      tvalue = num(co[i, "tvalue"]), pvalue = num(co[i, "pvalue"])))
    out$areas <- lapply(seq_along(y), function(i) list(
      area = data[[spec$area]][i], direct = num(y[i]), vardir = num(vardir[i]), eblup = num(est$eblup[i]),
      mse = num(mse$mse[i]), eblup_mseFH = num(mse$est$eblup[i])))
  }
  writeLines(toJSON(out, auto_unbox = TRUE, json_verbatim = TRUE, pretty = TRUE),
             file.path(here, "expected", basename(path)))
  cat(spec$id, "\n")
}

for (p in sort(Sys.glob(file.path(here, "cases", "SAE*.json")))) run_case(p)
