# Reference inputs for test_calidad_reference.py: estimate, SE and design effect of every cell of
# calidad's four example tables, computed with R's survey package (R 4.2.2, survey 4.1.1).
# Run from the repository root:  Rscript tests/quality/r_survey_cells.R > tests/quality/r_survey_cells.csv
suppressMessages(library(survey))
options(survey.lonely.psu = "certainty")
shared <- Sys.getenv("CORRIDOR_SHARED", "../shared")
path <- function(name) gzfile(file.path(shared, "data", "calidad_ine_chile", name))

cells <- function(set, fit, by) {
  label <- do.call(paste, c(lapply(by, function(b) paste0(b, "=", fit[[b]])), sep = ","))
  data.frame(set = set, domain = label, estimate = coef(fit), se = SE(fit), deff = deff(fit))
}

enusc <- read.csv(path("enusc_2023.csv.gz"))
enusc$region <- enusc$enc_region
d <- svydesign(ids = ~Conglomerado, strata = ~VarStrat, weights = ~Fact_Hog_Reg, data = enusc)
out <- cells("enusc_2023 VH_DV", svyby(~VH_DV, ~region, d, svymean, deff = TRUE), "region")

epf <- read.csv(path("epf_personas.csv.gz"))
epf <- epf[!duplicated(epf$folio), ]  # one row per household, as group_by(folio) %>% slice(1)
d <- svydesign(ids = ~varunit, strata = ~varstrat, weights = ~fe, data = epf)
by <- c("zona", "sexo", "ecivil")
out <- rbind(out, cells("epf gastot_hd", svyby(~gastot_hd, ~zona + sexo + ecivil, d, svymean, deff = TRUE), by))

ene <- read.csv(path("ene.csv.gz"))
ene$fdt <- as.integer(ene$cae_especifico >= 1 & ene$cae_especifico <= 9)
ene$desocupado <- as.integer(ene$cae_especifico >= 8 & ene$cae_especifico <= 9)
d <- svydesign(ids = ~conglomerado, strata = ~estrato_unico, weights = ~fact_cal, data = ene)
fit <- svyby(~desocupado, ~region + sexo, subset(d, fdt == 1), svymean, deff = TRUE)
out <- rbind(out, cells("ene desocupado|fdt", fit, c("region", "sexo")))

casen <- read.csv(path("casen_2020.csv.gz"))
casen$pobre <- as.integer(casen$pobreza %in% c(1, 2))
d <- svydesign(ids = ~cod_upm, strata = ~estrato, weights = ~expr, data = casen)
fit <- svyby(~pobre, ~region, subset(d, !is.na(pobreza)), svymean, deff = TRUE)
out <- rbind(out, cells("casen pobre", fit, "region"))

write.csv(out, stdout(), row.names = FALSE)
