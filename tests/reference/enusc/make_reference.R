# Reference figures for corridor's ENUSC tests (tests/indicators/test_enusc_reference.py), from the
# public ENUSC 2020 and 2019 person files (INE Chile) as shared in $CORRIDOR_SHARED/data/enusc_nationality
# (the shipped Parquet extracts hold the same values: tests/harmonize/test_harm_enusc.py).
# R 4.2.2, survey 4.1-1, calidad 0.8.2 (INE Chile; installed with R CMD INSTALL -l <lib> from its CRAN release).
# Run: R_LIBS=<lib with calidad> Rscript make_reference.R "$CORRIDOR_SHARED/data/enusc_nationality" > expected.json
# The labour status is derived here independently of corridor's specs, from the roster as the spec states it
# (ILO 19th ICLS): employed = worked last week or absent from a job; unemployed = not employed, searched in
# the last four weeks and available; outside = the other answers; "sin dato"/"no responde" stay missing.
suppressMessages({library(survey); library(calidad); library(jsonlite)})
options(survey.lonely.psu = "certainty")
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../../../shared/data/enusc_nationality"
num <- function(x) unname(as.numeric(x))

labour <- function(worked, absent, searched, available) {
  ifelse(worked == 1 | (worked == 2 & absent == 1), "employed",
  ifelse(worked == 2 & absent == 2 & searched == 1 & available == 1, "unemployed",
  ifelse(worked == 2 & absent == 2 & searched %in% 1:2 & available %in% 1:2, "outside", NA)))
}
read_year <- function(year) {
  if (year == 2020) {
    d <- read.csv(gzfile(file.path(dir, "enusc_2020_etiq.csv.gz")))
    d$labour <- with(d, labour(rph_p9, rph_p10, rph_p12, rph_p13))
    d$w <- d$Fact_Pers; d$strat <- d$VarStrat; d$psu <- d$Conglomerado
  } else {
    d <- read.csv(gzfile(file.path(dir, "enusc_2019.csv.gz")))
    d$labour <- with(d, labour(rph_p13, rph_p14, rph_p17, rph_p18))
    d$w <- d$fact_pers; d$strat <- d$varstrat; d$psu <- d$conglomerado
  }
  d
}

out <- list(versions = list(R = R.version.string, survey = as.character(packageVersion("survey")),
                            calidad = as.character(packageVersion("calidad"))),
            setup = list(
              labour = paste(deparse(labour), collapse = "\n"),
              enusc_2020 = paste("d <- read.csv(gzfile('enusc_2020_etiq.csv.gz'));",
                                 "d$labour <- labour(d$rph_p9, d$rph_p10, d$rph_p12, d$rph_p13);",
                                 "des <- svydesign(ids = ~Conglomerado, strata = ~VarStrat, weights = ~Fact_Pers, data = d)"),
              enusc_2019 = paste("d <- read.csv(gzfile('enusc_2019.csv.gz'));",
                                 "d$labour <- labour(d$rph_p13, d$rph_p14, d$rph_p17, d$rph_p18);",
                                 "des <- svydesign(ids = ~conglomerado, strata = ~varstrat, weights = ~fact_pers, data = d)"),
              variables = paste("options(survey.lonely.psu = 'certainty'); colombian = rph_nacionalidad == 5;",
                                "group = corridor (5), other_migrant (2-9 but 5), native (1), NA (88, 96, 99);",
                                "migrant = migrant (2-9), native (1); employed / active / unemployed = 0/1 dummies of labour;",
                                "anto = enc_region == 2")),
            figures = list())
add <- function(...) out$figures[[length(out$figures) + 1]] <<- list(...)
run <- function(text) list(value = eval(parse(text = text), envir = parent.frame()), call = text)

for (year in c(2020, 2019)) {
  d <- read_year(year)
  d$colombian <- as.numeric(d$rph_nacionalidad == 5)
  d$group <- ifelse(d$rph_nacionalidad == 5, "corridor",
             ifelse(d$rph_nacionalidad %in% 2:9, "other_migrant", ifelse(d$rph_nacionalidad == 1, "native", NA)))
  d$migrant <- ifelse(d$rph_nacionalidad %in% 2:9, "migrant", ifelse(d$rph_nacionalidad == 1, "native", NA))
  d$employed <- as.numeric(d$labour == "employed")
  d$active <- as.numeric(d$labour %in% c("employed", "unemployed"))
  d$unemployed <- as.numeric(d$labour == "unemployed")
  d$anto <- as.numeric(d$enc_region == 2)
  des <- svydesign(ids = ~psu, strata = ~strat, weights = ~w, data = d)
  env <- environment()

  # share of Colombian nationals among persons 15+ (everyone in the file), nationally and in Antofagasta
  m <- run("svymean(~colombian, des)")
  add(year = year, area = "CHL", indicator = "colombian_share", group = "all", estimate = num(coef(m$value)),
      se = num(SE(m$value)), r_call = m$call)
  b <- run("svyby(~colombian, ~enc_region, des, svymean)")
  add(year = year, area = "CL-AN", indicator = "colombian_share", group = "all",
      estimate = num(coef(b$value)[b$value$enc_region == 2]), se = num(SE(b$value)[b$value$enc_region == 2]),
      r_call = paste(b$call, "# row enc_region == 2"))

  # labour indicators by group (Colombian nationals, Chileans), for all foreign nationals, and the gap
  specs <- list(employment_to_population_ratio = c("employed", "!is.na(labour)"),
                labour_force_participation_rate = c("active", "!is.na(labour)"),
                unemployment_rate = c("unemployed", "labour %in% c('employed', 'unemployed')"))
  for (ind in names(specs)) {
    v <- specs[[ind]][1]
    for (area in c("CHL", "CL-AN")) {
      design <- paste0("subset(des, ", specs[[ind]][2], if (area == "CL-AN") " & anto == 1" else "", ")")
      for (split in c("group", "migrant")) {
        tab <- run(sprintf("calidad::assess(calidad::create_prop(var = '%s', domains = '%s', design = %s, ci = TRUE), scheme = 'chile')",
                           v, split, design))
        for (g in if (split == "group") c("corridor", "native") else "migrant") {
          ci <- run(sprintf("svyciprop(~I(%s == 1), subset(%s, %s == '%s'), method = 'logit')", v, design, split, g))
          row <- tab$value[tab$value[[split]] == g, ]
          add(year = year, area = area, indicator = ind,
              group = c(corridor = "corridor", native = "natives", migrant = "migrants")[[g]],
              estimate = num(row$stat), se = num(row$se), df = num(row$df), n = num(row$n),
              ci_low = num(attr(ci$value, "ci")[1]), ci_high = num(attr(ci$value, "ci")[2]), label = as.character(row$label),
              r_call = paste0(tab$call, " # row ", split, " == '", g, "'; interval: ", ci$call))
        }
      }
      gap <- run(sprintf("svycontrast(svyby(~%s, ~group, %s, svymean, covmat = TRUE), c(corridor = 1, native = -1))",
                         v, design))
      add(year = year, area = area, indicator = ind, group = "gap", estimate = num(coef(gap$value)),
          se = num(SE(gap$value)), r_call = gap$call)
    }
  }
}
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
