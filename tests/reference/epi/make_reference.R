# Reference values for corridor.epi from R's epitools and PHEindicatormethods, on PHE's test data
# in ../shared/data/pheindicatormethods.
# Run from this folder (R 4.2.2; epitools 0.5-10.1 from Debian; PHEindicatormethods 2.0.2, the
# last 2.x release that runs on R < 4.3, with dplyr >= 1.1.0, in a library on R_LIBS):
#   Rscript make_reference.R ../../../../shared/data/pheindicatormethods > expected.json
# Every case stores the literal R call that produced it.
suppressMessages({library(epitools); library(PHEindicatormethods); library(dplyr); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../../../shared/data/pheindicatormethods"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE, check.names = FALSE)
num <- function(x) unname(as.numeric(x))
out <- list(versions = list(R = R.version.string,
                            epitools = as.character(packageVersion("epitools")),
                            PHEindicatormethods = as.character(packageVersion("PHEindicatormethods")),
                            dplyr = as.character(packageVersion("dplyr"))))

multi <- rd("testdata_DSR_ISR__testdata_multiarea.csv")
esp <- rd("esp2013.csv")$esp2013
t1976 <- rd("testdata_DSR_ISR__testdata_1976.csv")

# epitools::ageadjust.direct: Fay-Feuer gamma interval, per area, three confidence levels
gamma_cases <- list()
for (a in unique(multi$area)) {
  d <- multi[multi$area == a, ]
  for (cl in c(0.9, 0.95, 0.998)) {
    r <- ageadjust.direct(count = d$count, pop = d$pop, stdpop = esp, conf.level = cl)
    gamma_cases[[length(gamma_cases) + 1]] <- list(
      call = sprintf("ageadjust.direct(count=d$count, pop=d$pop, stdpop=esp2013, conf.level=%s) with d = testdata_multiarea[area == '%s', ]", cl, a),
      area = a, standard = "esp2013", conf_level = cl,
      crude_rate = num(r["crude.rate"]), adj_rate = num(r["adj.rate"]), lci = num(r["lci"]), uci = num(r["uci"]))
  }
}
r <- ageadjust.direct(count = t1976$count, pop = t1976$pop, stdpop = t1976$esp1976, conf.level = 0.95)
gamma_cases[[length(gamma_cases) + 1]] <- list(
  call = "ageadjust.direct(count=d$count, pop=d$pop, stdpop=d$esp1976, conf.level=0.95) with d = testdata_1976",
  area = "testdata_1976", standard = "esp1976", conf_level = 0.95,
  crude_rate = num(r["crude.rate"]), adj_rate = num(r["adj.rate"]), lci = num(r["lci"]), uci = num(r["uci"]))
out$ageadjust_direct <- gamma_cases

# epitools::pois.byar on PHE's rate test data (counts 0 ... , person-time = Denominator)
rate <- rd("testdata_Rate__testdata_Rate.csv")
xs <- c(0, rate$Numerator)
pts <- c(100, rate$Denominator)
byar <- list()
for (cl in c(0.95, 0.998)) {
  b <- pois.byar(x = xs, pt = pts, conf.level = cl)
  byar[[length(byar) + 1]] <- list(
    call = sprintf("pois.byar(x=c(0, testdata_Rate$Numerator), pt=c(100, testdata_Rate$Denominator), conf.level=%s)", cl),
    conf_level = cl, x = num(b$x), pt = num(b$pt), rate = num(b$rate), lower = num(b$lower), upper = num(b$upper))
}
out$pois_byar <- byar

# PHEindicatormethods::phe_dsr with esp2013 as a plain vector (matched by position), two levels
# (the wide lower95_0cl ... columns), and with missing counts (PHE treats them as 0)
d <- multi %>% group_by(area) %>% phe_dsr(count, pop, confidence = c(0.95, 0.998), multiplier = 100000)
out$phe_dsr_vector_wide <- list(
  call = "testdata_multiarea %>% group_by(area) %>% phe_dsr(count, pop, confidence=c(0.95, 0.998), multiplier=100000)",
  area = d$area, total_count = num(d$total_count), total_pop = num(d$total_pop), value = num(d$value),
  lower95_0cl = num(d$lower95_0cl), upper95_0cl = num(d$upper95_0cl),
  lower99_8cl = num(d$lower99_8cl), upper99_8cl = num(d$upper99_8cl))
multi_na <- multi
multi_na$count[c(2, 7, 25)] <- NA
d <- multi_na %>% group_by(area) %>% phe_dsr(count, pop, confidence = 0.95, multiplier = 100000)
out$phe_dsr_missing <- list(
  call = "multi_na <- testdata_multiarea; multi_na$count[c(2, 7, 25)] <- NA; multi_na %>% group_by(area) %>% phe_dsr(count, pop, confidence=0.95, multiplier=100000)",
  na_rows = c(2, 7, 25), area = d$area, total_count = num(d$total_count), value = num(d$value),
  lowercl = num(d$lowercl), uppercl = num(d$uppercl))

# PHEindicatormethods::calculate_ISRatio / calculate_ISRate with observed totals per area
isr_in <- rd("testdata_DSR_ISR__testdata_multiarea_isr.csv")
totals <- isr_in %>% group_by(area) %>% summarise(count = sum(count, na.rm = TRUE)) %>% as.data.frame()
totals$count <- totals$count + c(3, 0, 1)  # totals from another source need not equal the sums
ages <- isr_in %>% select(-count)
r1 <- ages %>% group_by(area) %>%
  calculate_ISRatio(count, pop, refcount, refpop, refpoptype = "field", observed_totals = totals,
                    confidence = c(0.95, 0.998), refvalue = 100)
r2 <- ages %>% group_by(area) %>%
  calculate_ISRate(count, pop, refcount, refpop, refpoptype = "field", observed_totals = totals,
                   confidence = 0.95, multiplier = 100000)
out$isr_observed_totals <- list(
  call_totals = "totals <- testdata_multiarea_isr %>% group_by(area) %>% summarise(count = sum(count, na.rm = TRUE)); totals$count <- totals$count + c(3, 0, 1)",
  call_ratio = "testdata_multiarea_isr %>% select(-count) %>% group_by(area) %>% calculate_ISRatio(count, pop, refcount, refpop, refpoptype='field', observed_totals=totals, confidence=c(0.95, 0.998), refvalue=100)",
  call_rate = "testdata_multiarea_isr %>% select(-count) %>% group_by(area) %>% calculate_ISRate(count, pop, refcount, refpop, refpoptype='field', observed_totals=totals, confidence=0.95, multiplier=100000)",
  totals = list(area = totals$area, count = num(totals$count)),
  ratio = list(area = r1$area, observed = num(r1$observed), expected = num(r1$expected), value = num(r1$value),
               lower95_0cl = num(r1$lower95_0cl), upper95_0cl = num(r1$upper95_0cl),
               lower99_8cl = num(r1$lower99_8cl), upper99_8cl = num(r1$upper99_8cl), method = r1$method),
  rate = list(area = r2$area, observed = num(r2$observed), expected = num(r2$expected), value = num(r2$value),
              lowercl = num(r2$lowercl), uppercl = num(r2$uppercl), method = r2$method))

# calculate_ISRatio with missing counts and populations (PHE treats both as 0)
isr_na <- isr_in
isr_na$count[c(1, 20)] <- NA
isr_na$pop[c(5)] <- NA
r3 <- isr_na %>% group_by(area) %>%
  calculate_ISRatio(count, pop, refcount, refpop, refpoptype = "field", confidence = 0.95)
out$isr_missing <- list(
  call = "isr_na <- testdata_multiarea_isr; isr_na$count[c(1, 20)] <- NA; isr_na$pop[5] <- NA; isr_na %>% group_by(area) %>% calculate_ISRatio(count, pop, refcount, refpop, refpoptype='field', confidence=0.95)",
  count_na_rows = c(1, 20), pop_na_rows = c(5),
  area = r3$area, observed = num(r3$observed), expected = num(r3$expected), value = num(r3$value),
  lowercl = num(r3$lowercl), uppercl = num(r3$uppercl))

cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
