# Expected results of INE Chile's R package calidad 0.8.2 for tests/quality/test_calidad_reference.py.
#
# Every case of cases.json names a prepared extract (datasets.json: the R code that prepares it and
# builds its design `dc`), a create_* kind with calidad's arguments, and the assess() calls to run on
# the created table. This script builds each literal call from those arguments, runs it, and writes
# expected/<id>.json with the call, calidad's table (every column, in calidad's order) and each
# assessment (every column, or the error calidad raises), plus the warnings R gave.
#
# calidad has no create_median: the "median" cases use survey::svyquantile (qrule "math", Woodruff
# interval, as corridor's Quantile) for stat and se, and calidad's own internal get_sample_size and
# get_df for n and df (ECLAC's rule, as create_mean), so that the table has create_mean's columns and
# class (assess judges it as a level estimate). survey gives no design effect for a quantile, so the
# ECLAC schemes refuse these tables.
#
# Run with make_reference.sh (it installs calidad 0.8.2 into a private library first), or, with
# calidad 0.8.2 on .libPaths(), from the repository root:
#   CORRIDOR_SHARED=../shared Rscript tests/reference/calidad/make_reference.R
suppressMessages({
  library(calidad)
  library(survey)
  library(dplyr)
  library(haven)
  library(jsonlite)
})
stopifnot(as.character(packageVersion("calidad")) == "0.8.2")
options(survey.lonely.psu = "certainty", warn = 1)

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/calidad"
shared <- Sys.getenv("CORRIDOR_SHARED", file.path(here, "..", "..", "..", "..", "shared"))
only <- Sys.getenv("CALIDAD_CASES", "")

# The extracts as calidad ships them (data/*.rda of the package; the same files are in the shared
# data folder), labels removed so that every column is a plain number or string.
load_extract <- function(name) {
  env <- new.env()
  load(file.path(shared, "data", "calidad_ine_chile", paste0(name, ".rda")), envir = env)
  as.data.frame(zap_labels(env[[ls(env)[1]]]))
}

create_median_reference <- function(var, domains = NULL, subpop = NULL, design, ci = FALSE, rm.na = FALSE,
                                    rel_error = FALSE, ajuste_ene = FALSE) {
  design <- calidad:::standardize_design_variables(design)
  if (rm.na) design <- design[!is.na(design$variables[[var]])]
  if (!is.null(subpop)) design <- design[design$variables[[subpop]] == 1]
  by <- calidad:::create_groupby_vars(domains)
  form <- as.formula(paste0("~", var))
  if (is.null(by)) {
    q <- svyquantile(form, design, quantiles = 0.5, ci = TRUE, qrule = "math")
    final <- data.frame(stat = unname(coef(q)), se = unname(SE(q)))
    final$df <- calidad:::get_df(design, NULL)$df
    final$n <- nrow(design$variables)
  } else {
    q <- svyby(form, as.formula(paste0("~", domains)), design, svyquantile, quantiles = 0.5, ci = TRUE,
               qrule = "math", keep.var = TRUE)
    final <- data.frame(lapply(q[by], as.character), stat = unname(coef(q)), se = unname(SE(q)))
    final <- final %>%
      left_join(calidad:::get_df(design, by) %>% select(all_of(c(by, "df"))), by = by) %>%
      left_join(calidad:::get_sample_size(design$variables, by) %>% select(all_of(c(by, "n"))), by = by)
  }
  final$cv <- final$se / final$stat
  if (ci) final <- calidad:::get_ci(final, ajuste_ene = ajuste_ene, ci_logit = FALSE)
  if (rel_error) final$relative_error <- stats::qt(0.975, df = final$df) * final$cv
  class(final) <- c("calidad.mean", class(final))  # judged as a level estimate, by its CV
  final
}

# A call object from a function name and named arguments, with the design last.
build_call <- function(fn, arguments, design = "dc") {
  arguments <- lapply(arguments, function(a) if (is.list(a)) unlist(a) else a)
  as.call(c(list(as.name(fn)), arguments, list(design = as.name(design))))
}

deparsed <- function(call) paste(deparse(call, width.cutoff = 500L), collapse = " ")

# Run an expression; keep its value, its warnings and its error message.
capture <- function(expr) {
  warnings <- character()
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(conditionMessage(e), class = "calidad_error")),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  list(value = value, warnings = as.list(unique(warnings)))
}

table_json <- function(x) {
  x <- as.data.frame(x)
  list(
    columns = as.list(names(x)),
    types = as.list(unname(vapply(x, function(col) if (is.numeric(col)) "number" else "string", ""))),
    data = lapply(x, function(col) {
      if (is.numeric(col)) {
        # as text with 17 significant digits: every double exactly (JSON numbers would be rounded to 15)
        col <- as.numeric(col)
        out <- as.list(sprintf("%.17g", col))
        out[is.na(col) & !is.nan(col)] <- list("NA")
        out[is.nan(col)] <- list("NaN")
        out[is.infinite(col) & col > 0] <- list("Inf")
        out[is.infinite(col) & col < 0] <- list("-Inf")
        out
      } else {
        col <- as.character(col)
        out <- as.list(col)
        out[is.na(col)] <- list(NULL)
        out
      }
    })
  )
}

datasets <- fromJSON(file.path(here, "datasets.json"), simplifyVector = FALSE)
cases <- fromJSON(file.path(here, "cases.json"), simplifyVector = FALSE)
dir.create(file.path(here, "expected"), showWarnings = FALSE)
versions <- list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  calidad = as.character(packageVersion("calidad")),
  survey = as.character(packageVersion("survey")),
  dplyr = as.character(packageVersion("dplyr"))
)

for (case in cases) {
  if (nzchar(only) && !case$id %in% strsplit(only, ",")[[1]]) next
  setup <- datasets[[case$dataset]]$r_setup
  env <- new.env()
  eval(parse(text = setup), envir = env)
  fn <- if (case$kind == "median") "create_median_reference" else paste0("create_", case$kind)
  call <- build_call(fn, case$args)
  created <- capture(eval(call, envir = env))
  if (inherits(created$value, "calidad_error")) stop(case$id, ": ", created$value)
  table <- created$value
  assign("table", table, envir = env)
  out <- list(
    id = case$id, oracle = "R calidad", versions = versions, title = case$title,
    r_setup = setup, r_call = deparsed(call),
    class = as.list(class(table)), warnings = created$warnings, table = table_json(table), assess = list()
  )
  # calidad drops the design effect of a national ratio (convert_ratio_to_df): record survey's own
  if (case$kind == "prop" && !is.null(case$args$denominator) && is.null(case$args$domains)) {
    rcall <- call("svyratio", as.formula(paste0("~", case$args$var)), as.formula(paste0("~", case$args$denominator)),
                  quote(dc), deff = TRUE)
    out$survey_deff <- list(r_call = deparsed(rcall), deff = sprintf("%.17g", as.numeric(deff(eval(rcall, envir = env)))))
  }
  for (a in case$assess) {
    arguments <- c(list(quote(table)), list(scheme = a$scheme), a$args)
    if (!is.null(a$args$table_n_obj)) arguments$table_n_obj <- as.name(a$args$table_n_obj)
    acall <- as.call(c(list(as.name("assess")), arguments))
    assessed <- capture(eval(acall, envir = env))
    entry <- list(scheme = a$scheme, args = a$args, r_call = deparsed(acall), warnings = assessed$warnings)
    if (inherits(assessed$value, "calidad_error")) {
      entry$error <- as.character(assessed$value)
    } else {
      entry$table <- table_json(assessed$value)
    }
    out$assess[[length(out$assess) + 1]] <- entry
  }
  write(toJSON(out, auto_unbox = TRUE, null = "null", pretty = TRUE),
        file.path(here, "expected", paste0(case$id, ".json")))
  cat(case$id, nrow(table), "rows;", length(out$assess), "assessments\n")
}
