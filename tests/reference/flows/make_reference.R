# Reference values for corridor.flows from R's migest, on the data in ../shared/data/migest.
# Run from this folder (R 4.2.2 from Debian; migest 2.0.4, migration.indices 0.3.1, mipfp 3.2.1,
# cmm 1.0 and matrixStats 1.5.0 built from their CRAN release sources with R CMD INSTALL into a
# library on R_LIBS; dplyr, tidyr, purrr, calibrate, Rsolnp, numDeriv, circlize... from Debian):
#   Rscript make_reference.R ../../../../shared/data/migest > expected.json
# Every case stores the literal R call that produced it.
suppressMessages({library(migest); library(dplyr); library(jsonlite)})
args <- commandArgs(TRUE); dir <- if (length(args)) args[1] else "../../../../shared/data/migest"
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE)
num <- function(x) unname(as.numeric(x))
mat <- function(x) unname(matrix(as.numeric(x), nrow = nrow(x)))
out <- list(versions = list(R = R.version.string, migest = as.character(packageVersion("migest")),
                            mipfp = as.character(packageVersion("mipfp")),
                            matrixStats = as.character(packageVersion("matrixStats"))))

docs <- fromJSON(file.path(dir, "reference_outputs_migest_docs.json"), simplifyVector = FALSE)
regions <- unlist(docs$regions)
as_mat <- function(rows) { m <- do.call(rbind, lapply(rows, function(r) as.numeric(unlist(r))))
  dimnames(m) <- list(orig = regions, dest = regions); m }
cases <- Filter(function(c) c$`function` == "ffs_demo", docs$cases)

# ffs_diff with and without the native-born, both ways of reading decreases (e0 stock tables)
e0 <- cases[[1]]$inputs
s1 <- as_mat(e0$stock_start); s2 <- as_mat(e0$stock_end)
diffs <- list()
for (nb in c(FALSE, TRUE)) for (dec in c("zero", "return")) {
  diffs[[length(diffs) + 1]] <- list(
    call = sprintf("ffs_diff(stock_start=s1, stock_end=s2, decrease='%s', include_native_born=%s) with s1, s2 the e0 tables", dec, nb),
    decrease = dec, include_native_born = nb, flow = mat(ffs_diff(s1, s2, decrease = dec, include_native_born = nb)))
}
out$ffs_diff <- diffs

# ffs_demo(return = "account") and sum_od() on the documented examples
accounts <- list()
for (c in cases) {
  key <- substr(c$case, 1, 2)
  if (!(key %in% c("e0", "e3", "e4", "e5", "e6"))) next
  inp <- c$inputs
  b <- setNames(as.numeric(unlist(inp$births)), regions); d <- setNames(as.numeric(unlist(inp$deaths)), regions)
  method <- if (is.null(inp$match_birthplace_tot_method)) "rescale" else inp$match_birthplace_tot_method
  a <- ffs_demo(stock_start = as_mat(inp$stock_start), stock_end = as_mat(inp$stock_end), births = b, deaths = d,
                match_birthplace_tot_method = method, return = "account")
  f <- ffs_demo(stock_start = as_mat(inp$stock_start), stock_end = as_mat(inp$stock_end), births = b, deaths = d,
                match_birthplace_tot_method = method)
  accounts[[length(accounts) + 1]] <- list(
    case = key,
    call = sprintf("ffs_demo(stock_start, stock_end, births, deaths, match_birthplace_tot_method='%s', return='account') with the %s inputs", method, key),
    call_sum_od = sprintf("sum_od(ffs_demo(stock_start, stock_end, births, deaths, match_birthplace_tot_method='%s'))", method),
    dimnames = dimnames(a),
    # account[k] is the (n + 2) x (n + 2) table of birthplace k: rows orig (regions, birth, outside), cols dest (regions, death, outside)
    account = lapply(seq_len(dim(a)[3]), function(k) mat(a[, , k])),
    sum_od = mat(sum_od(f)),
    sum_od_no_margins = mat(sum_od(f, add_margins = FALSE)),
    sum_od_keep_diag = mat(sum_od(f, zero_diag = FALSE, add_margins = FALSE)))
}
out$ffs_demo_account <- accounts

# index_age on the IPUMS-International age profiles (mi = migrants / population)
ipums <- rd("ipumsi_age.csv")
ages <- list()
for (s in unique(ipums$sample)) for (opt in list(c(5, 65, 5), c(15, 50, 3))) {
  x <- ipums %>% filter(sample == s) %>% mutate(mi = migrants / population)
  r <- index_age(x, age_min = opt[1], age_max = opt[2], breadth = opt[3], long = FALSE)
  ages[[length(ages) + 1]] <- list(
    call = sprintf("ipumsi_age %%>%% filter(sample == '%s') %%>%% mutate(mi = migrants/population) %%>%% index_age(age_min=%d, age_max=%d, breadth=%d, long=FALSE)", s, opt[1], opt[2], opt[3]),
    sample = s, age_min = opt[1], age_max = opt[2], breadth = opt[3],
    value = lapply(as.list(r), num),
    # migest indexes m by position: m[(peak_age - breadth):(peak_age + breadth)] are the ages
    # peak_age - breadth - 1 ... peak_age + breadth - 1 when ages start at 0; by age instead:
    call_by_age = "w <- x$age >= r$peak_age - breadth & x$age <= r$peak_age + breadth; c(sum(100 * x$mi[w]), 100 * sum(x$mi[w]) / sum(x$mi))",
    peak_breadth_by_age = sum(100 * x$mi[x$age >= r$peak_age - opt[3] & x$age <= r$peak_age + opt[3]]),
    peak_share_by_age = 100 * sum(x$mi[x$age >= r$peak_age - opt[3] & x$age <= r$peak_age + opt[3]]) / sum(x$mi))
}
out$index_age <- ages

# index_age_rc on the Rogers-Castro parameter sets
fund <- rd("rc_model_fund.csv")
rc <- list(list(call = "rc_model_fund %>% tibble::deframe() %>% index_age_rc(long=FALSE)", schedule = "fund", sex = "",
                value = lapply(as.list(index_age_rc(tibble::deframe(fund), long = FALSE)), num)))
un <- rd("rc_model_un.csv")
for (s in unique(un$schedule)) for (sx in c("male", "female")) {
  p <- un %>% filter(schedule == s, sex == sx) %>% select(param, value) %>% tibble::deframe()
  rc[[length(rc) + 1]] <- list(
    call = sprintf("rc_model_un %%>%% filter(schedule == '%s', sex == '%s') %%>%% select(param, value) %%>%% tibble::deframe() %%>%% index_age_rc(long=FALSE)", s, sx),
    schedule = s, sex = sx, value = lapply(as.list(index_age_rc(p, long = FALSE)), num))
}
out$index_age_rc <- rc

# index_distance on korea_gravity: the long table as given, the same table sorted with the origin
# varying fastest, shuffled, and the origin x destination matrix. migest's median is
# matrixStats::weightedMedian(dist, flow) over the pairs in the order listed (a matrix by
# as.data.frame.table, origin varying fastest; a data frame in its row order): the tied distances
# of the symmetric matrix make it move with that order. Also the median with tied distances
# pooled (order-free), the mean and the decay.
k <- rd("korea_gravity.csv")
dist <- list()
for (y in sort(unique(k$year))) for (dc in c("dist_cent", "dist_pw")) {
  d <- k[k$year == y, ]
  r_long <- index_distance(m = d, d = d, dist_col = dc, long = FALSE)
  m <- unclass(xtabs(flow ~ orig + dest, d)); attr(m, "call") <- NULL
  r_mat <- index_distance(m = m, d = d, dist_col = dc, long = FALSE)
  s <- d[order(match(d$dest, rownames(m)), match(d$orig, rownames(m))), ]
  r_sorted <- index_distance(m = s, d = d, dist_col = dc, long = FALSE)
  set.seed(y); perm <- sample(nrow(d)); sh <- d[perm, ]
  r_shuffled <- index_distance(m = sh, d = d, dist_col = dc, long = FALSE)
  off <- d[d$orig != d$dest, ]
  # names(tapply(...)) prints 15 digits: sum the flows over the exact distances
  u <- sort(unique(off[[dc]])); pooled_exact <- sapply(u, function(v) sum(off$flow[off[[dc]] == v]))
  med_pooled <- matrixStats::weightedMedian(x = u, w = pooled_exact)
  dist[[length(dist) + 1]] <- list(
    year = y, dist_col = dc, regions = rownames(m),
    call_long = sprintf("index_distance(m=d, d=d, dist_col='%s', long=FALSE) with d = subset(korea_gravity, year == %d)", dc, y),
    call_matrix = sprintf("index_distance(m=unclass(xtabs(flow ~ orig + dest, d)), d=d, dist_col='%s', long=FALSE)", dc),
    call_sorted = sprintf("index_distance(m=d[order(match(d$dest, regions), match(d$orig, regions)), ], d=d, dist_col='%s', long=FALSE) with regions = rownames(xtabs(flow ~ orig + dest, d))", dc),
    call_shuffled = sprintf("set.seed(%d); perm <- sample(nrow(d)); index_distance(m=d[perm, ], d=d, dist_col='%s', long=FALSE)", y, dc),
    call_pooled = sprintf("off <- d[d$orig != d$dest, ]; u <- sort(unique(off$%s)); matrixStats::weightedMedian(x=u, w=sapply(u, function(v) sum(off$flow[off$%s == v])))", dc, dc),
    perm = perm,
    mean = num(r_long$mean), median_long = num(r_long$median), median_matrix = num(r_mat$median),
    median_sorted = num(r_sorted$median), median_shuffled = num(r_shuffled$median),
    median_pooled = med_pooled, decay = num(r_long$decay), decay_matrix = num(r_mat$decay))
}
out$index_distance <- dist

cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
