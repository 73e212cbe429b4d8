#!/bin/sh
# Build calidad 0.8.2 from its CRAN release source into a private R library, then write the
# expected files of tests/reference/calidad (make_reference.R). Not run by the test suite: the
# tests read the stored expected/*.json.
#
# Needs R >= 4.2 with Debian's r-cran-survey, r-cran-dplyr, r-cran-purrr, r-cran-rlang,
# r-cran-stringr, r-cran-haven, r-cran-jsonlite and kableExtra's dependencies (r-cran-knitr,
# r-cran-rmarkdown, r-cran-xml2, r-cran-rvest, r-cran-scales, r-cran-viridislite,
# r-cran-htmltools, r-cran-rstudioapi, r-cran-digest, r-cran-svglite); kableExtra itself is not
# packaged by Debian and is built from its CRAN source too.
#
# Usage, from the repository root:
#   CALIDAD_SRC=path/to/calidad-0.8.2 KABLEEXTRA_SRC=path/to/kableExtra-1.4.0 \
#   R_LIB=path/to/private/library CORRIDOR_SHARED=../shared \
#   sh tests/reference/calidad/make_reference.sh
# where the two sources are the unpacked CRAN release tarballs (calidad_0.8.2.tar.gz,
# kableExtra_1.4.0.tar.gz; the cran/calidad and cran/kableExtra repositories on GitHub carry the
# same trees under the tags 0.8.2 and 1.4.0).
set -eu
: "${CALIDAD_SRC:?path to the calidad 0.8.2 source tree}"
: "${KABLEEXTRA_SRC:?path to the kableExtra source tree}"
: "${R_LIB:?private R library to install into}"
mkdir -p "$R_LIB"
grep -q '^Version: 0.8.2$' "$CALIDAD_SRC/DESCRIPTION" || { echo "CALIDAD_SRC is not calidad 0.8.2" >&2; exit 1; }
R_LIBS="$R_LIB" Rscript -e 'quit(status = !requireNamespace("kableExtra", quietly = TRUE))' \
  || R CMD INSTALL -l "$R_LIB" "$KABLEEXTRA_SRC"
R CMD INSTALL -l "$R_LIB" "$CALIDAD_SRC"
R_LIBS="$R_LIB" Rscript "$(dirname "$0")/make_reference.R"
