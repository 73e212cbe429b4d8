# Reference for corridor.flows.indices.r_quicksort_order and weighted_median: the order in which
# R's quicksort leaves tied values (it is not stable, and matrixStats::weightedMedian sorts with
# it), and matrixStats' interpolated weighted median, on vectors with many ties and some zero
# weights. Run from this folder (R 4.2.2; matrixStats 1.5.0 from its CRAN release source on R_LIBS):
#   Rscript make_weighted_median.R > weighted_median.json
suppressMessages(library(jsonlite))
set.seed(19)
sizes <- c(2:30, 50, 100, 272, 1000)
cases <- list()
for (k in 1:200) {
  n <- if (k <= 4) 1000 else sample(sizes[sizes < 1000], 1)
  x <- sample(seq_len(sample(1:max(2, n %/% 2), 1)), n, replace = TRUE) + 0.5
  w <- round(rexp(n) * 100) * (runif(n) > 0.1)
  cases[[k]] <- list(x = x, w = w,
                     ix = sort(x, method = "quick", index.return = TRUE)$ix,
                     median = matrixStats::weightedMedian(x, w))
}
out <- list(versions = list(R = R.version.string, matrixStats = as.character(packageVersion("matrixStats"))),
            call = "for each case: sort(x, method='quick', index.return=TRUE)$ix; matrixStats::weightedMedian(x, w)",
            cases = cases)
cat(toJSON(out, digits = NA, auto_unbox = TRUE))
