# Reproduces bench/data/*.csv and bench/data/datasets.json (see README.md beside this file).
#
#   Rscript bench/data/export.R SRC_DIR [OUT_DIR]
#   Rscript bench/data/export.R --reference [OUT_DIR]   (reads the CSVs and prints a glm reference)
#
# SRC_DIR holds the unpacked source trees of the three R packages the data come from, one folder
# per package: SRC_DIR/liver, SRC_DIR/insuranceData, SRC_DIR/MDBinom (a CRAN source tarball
# unpacked, or a checkout of the package's repository; only their data/ folders are read). A
# package that is installed is read with data() instead. OUT_DIR defaults to the folder of this
# script. Needs R >= 4.0 (written on R 4.2.2) and jsonlite (Debian: r-base-core r-cran-jsonlite).
# Nothing here downloads anything.

args <- commandArgs(trailingOnly = TRUE)
reference <- "--reference" %in% args
args <- setdiff(args, "--reference")
if (reference) args <- c("", args)
src <- if (length(args) >= 1) args[[1]] else Sys.getenv("FEDMARK_DATA_SRC", "")
here <- local({
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f)) dirname(normalizePath(f[[1]])) else getwd()
})
out <- if (length(args) >= 2) args[[2]] else here
stopifnot(requireNamespace("jsonlite", quietly = TRUE))
dir.create(out, showWarnings = FALSE, recursive = TRUE)

# One data set of one package: data() where the package is installed, else its file in SRC_DIR.
load_data <- function(pkg, name) {
  if (requireNamespace(pkg, quietly = TRUE)) {
    e <- new.env()
    utils::data(list = name, package = pkg, envir = e)
    return(get(name, envir = e))
  }
  files <- Sys.glob(file.path(src, pkg, "data", paste0(name, c(".rda", ".RData"))))
  if (!length(files)) stop(sprintf("%s::%s: not installed and not under %s/%s/data", pkg, name, src, pkg))
  e <- new.env()
  loaded <- load(files[[1]], envir = e)
  stopifnot(name %in% loaded)
  get(name, envir = e)
}

# The CSV: header row, no quoting (so refuse any cell that would need it), NA as an empty cell.
write_plain_csv <- function(d, path) {
  for (col in names(d)) {
    v <- as.character(d[[col]])
    bad <- grepl("[,\"\r\n]", v)
    if (any(bad, na.rm = TRUE)) stop(sprintf("%s: a cell of %s needs quoting", path, col))
  }
  utils::write.csv(d, path, row.names = FALSE, quote = FALSE, na = "", fileEncoding = "UTF-8")
}

levels_of <- function(x) {
  if (is.factor(x)) return(levels(droplevels(x)))
  u <- unique(x[!is.na(x)])
  if (is.numeric(u)) as.character(sort(u)) else sort(as.character(u))
}

# Each entry: where it comes from, which column is the label, which one splits rows into nodes,
# which columns are features (numeric or categorical), and which are left out and why.
specs <- list(
  list(
    name = "bank_marketing", pkg = "liver", object = "bank",
    source = "R package liver 1.29 (CRAN), data set `bank`; original: UCI Machine Learning Repository, Bank Marketing (bank.csv, the 10% sample), Moro, Cortez and Rita (2014)",
    licence = "liver: GPL (>= 2). Data: UCI Bank Marketing (Moro et al. 2014); the help page states no terms; UCI lists the data set under CC BY 4.0",
    label = list(column = "deposit", positive = "yes"),
    nodeColumn = "contact",
    nodeGroups = list(cellular = "cellular", telephone = "telephone", unknown = "unknown"),
    numeric = c("age", "balance", "day", "campaign", "pdays", "previous"),
    categorical = c("job", "marital", "education", "default", "housing", "loan", "month", "poutcome"),
    excluded = list(
      contact = "node-split column",
      duration = "leakage: length of the call that produced the outcome, known only after it (the UCI description says to drop it for a realistic model)"
    )
  ),
  list(
    name = "online_shoppers", pkg = "liver", object = "purchase_intention",
    source = "R package liver 1.29 (CRAN), data set `purchase_intention`; original: UCI Machine Learning Repository, Online Shoppers Purchasing Intention, Sakar, Polat, Katircioglu and Kastro (2019)",
    licence = "liver: GPL (>= 2). Data: UCI Online Shoppers Purchasing Intention (Sakar et al. 2019); the help page states no terms; UCI lists the data set under CC BY 4.0",
    label = list(column = "revenue", positive = "yes"),
    nodeColumn = "region",
    nodeGroups = list(region_1 = "1", region_3 = "3", regions_2_4 = c("2", "4"),
                      regions_6_7 = c("6", "7"), regions_5_8_9 = c("5", "8", "9")),
    numeric = c("administrative", "administrative_duration", "informational", "informational_duration",
                "product_related", "product_related_duration", "bounce_rates", "exit_rates",
                "page_values", "special_day"),
    categorical = c("month", "operating_systems", "browser", "traffic_type", "visitor_type", "weekend"),
    excluded = list(region = "node-split column")
  ),
  list(
    name = "south_german_credit", pkg = "liver", object = "credit",
    source = "R package liver 1.29 (CRAN), data set `credit`; original: UCI Machine Learning Repository, South German Credit (UPDATE), Groemping (2019), the corrected coding of the Statlog German credit data (Hofmann 1994)",
    licence = "liver: GPL (>= 2). Data: UCI South German Credit (doi:10.24432/C5QG88); the help page states no terms; UCI lists the data set under CC BY 4.0",
    label = list(column = "credit_risk", positive = "bad risk"),
    nodeColumn = "housing",
    nodeGroups = list(for_free = "for free", rent = "rent", own = "own"),
    numeric = c("duration", "amount", "age"),
    categorical = c("status", "credit_history", "purpose", "savings", "employment_duration",
                    "installment_rate", "personal_status_sex", "other_debtors", "present_residence",
                    "property", "other_installment_plans", "number_credits", "job", "people_liable",
                    "telephone", "foreign_worker"),
    excluded = list(housing = "node-split column")
  ),
  list(
    name = "taiwan_credit_default", pkg = "MDBinom", object = "UCI_Credit_Card",
    source = "R package MDBinom 5.1.13 (GitHub michaldanaj/MDBinom, not on CRAN), data set `UCI_Credit_Card`; original: UCI Machine Learning Repository, Default of Credit Card Clients, Yeh and Lien (2009)",
    licence = "MDBinom: no licence declared (its DESCRIPTION has a placeholder). Data: UCI Default of Credit Card Clients (doi:10.24432/C55S3H), unmodified; UCI lists the data set under CC BY 4.0",
    label = list(column = "default.payment.next.month", positive = "1"),
    nodeColumn = "EDUCATION",
    nodeGroups = list(graduate_school = "1", university = "2", high_school = "3",
                      other_unknown = c("0", "4", "5", "6")),
    numeric = c("LIMIT_BAL", "AGE", "PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6",
                paste0("BILL_AMT", 1:6), paste0("PAY_AMT", 1:6)),
    categorical = c("SEX", "MARRIAGE"),
    excluded = list(ID = "row id", EDUCATION = "node-split column")
  ),
  list(
    name = "car_insurance_claims", pkg = "insuranceData", object = "dataCar",
    source = "R package insuranceData 1.0 (CRAN), data set `dataCar`; original: de Jong and Heller (2008), Generalized Linear Models for Insurance Data, data set `car` (one-year vehicle policies, 2004-2005)",
    licence = "insuranceData: GPL-2. Data: book data set of de Jong and Heller (2008), published on the book's web site; the help page states no terms",
    label = list(column = "clm", positive = "1"),
    nodeColumn = "area",
    nodeGroups = list(A = "A", B = "B", C = "C", D = "D", E = "E", F = "F"),
    numeric = c("veh_value", "exposure"),
    categorical = c("veh_body", "veh_age", "gender", "agecat"),
    excluded = list(
      area = "node-split column",
      numclaims = "leakage: number of claims, clm = (numclaims > 0)",
      claimcst0 = "leakage: claim amount, > 0 only when clm = 1",
      X_OBSTAT_ = "constant (a SAS export artefact, one level)"
    ),
    # 67,856 rows make a 4.6 MB file: keep a seeded random 40,000, in their original order.
    subset = list(rows = 40000L, seed = 20240601L)
  )
)

# A plain pooled reference, not a tuned one: glm(binomial) on the declared features, a 70/30 split
# stratified on the label (seed 1), AUC on the 30%; then each node's own training rows alone,
# scored on the same pooled 30%.
auc <- function(score, y) {
  r <- rank(score)
  n1 <- sum(y)
  n0 <- length(y) - n1
  (sum(r[y == 1]) - n1 * (n1 + 1) / 2) / (n1 * n0)
}
run_reference <- function() {
  meta <- jsonlite::read_json(file.path(out, "datasets.json"), simplifyVector = FALSE)
  for (m in meta) {
    d <- utils::read.csv(file.path(out, m$file), colClasses = "character", check.names = FALSE)
    x <- data.frame(row.names = seq_len(nrow(d)))
    for (col in unlist(m$numeric)) x[[col]] <- as.numeric(d[[col]])
    for (col in names(m$categorical)) x[[col]] <- factor(d[[col]], levels = unlist(m$categorical[[col]]))
    y <- as.integer(d[[m$label$column]] == m$label$positive)
    set.seed(1)
    test <- unlist(lapply(split(seq_along(y), y), function(i) i[sample.int(length(i), round(0.3 * length(i)))]))
    train <- setdiff(seq_along(y), test)
    keep <- stats::complete.cases(x)
    # One design matrix over all rows, so that a node's fit knows every declared level.
    X <- stats::model.matrix(~ ., data = x[keep, , drop = FALSE])
    at <- cumsum(keep)
    fit_auc <- function(rows) {
      rows <- at[rows[keep[rows]]]
      f <- suppressWarnings(stats::glm.fit(X[rows, , drop = FALSE], y[keep][rows], family = stats::binomial()))
      b <- f$coefficients
      b[is.na(b)] <- 0
      t <- at[test[keep[test]]]
      auc(drop(X[t, , drop = FALSE] %*% b), y[keep][t])
    }
    node <- d[[m$nodeColumn]]
    local <- vapply(names(m$nodeGroups), function(g) fit_auc(train[node[train] %in% unlist(m$nodeGroups[[g]])]), 0)
    cat(sprintf("%-22s pooled AUC %.4f; each node alone %s\n", m$name, fit_auc(train),
                paste(sprintf("%s %.4f", names(local), local), collapse = ", ")))
  }
}
if (reference) {
  run_reference()
  quit(save = "no")
}

entries <- list()
for (s in specs) {
  d <- load_data(s$pkg, s$object)
  stopifnot(is.data.frame(d))
  d <- as.data.frame(d)
  rows_source <- nrow(d)
  if (!is.null(s$subset)) {
    set.seed(s$subset$seed, kind = "Mersenne-Twister", normal.kind = "Inversion", sample.kind = "Rejection")
    d <- d[sort(sample.int(nrow(d), s$subset$rows)), , drop = FALSE]
    rownames(d) <- NULL
  }
  cols <- c(s$label$column, s$nodeColumn, s$numeric, s$categorical, names(s$excluded))
  stopifnot(all(cols %in% names(d)), all(names(d) %in% cols))
  node_values <- as.character(d[[s$nodeColumn]])
  grouped <- unlist(s$nodeGroups, use.names = FALSE)
  stopifnot(!anyDuplicated(grouped), setequal(grouped, unique(node_values)))
  file <- paste0(s$name, ".csv")
  write_plain_csv(d, file.path(out, file))

  y <- as.character(d[[s$label$column]])
  stopifnot(s$label$positive %in% y, length(unique(y)) == 2)
  bounds <- lapply(s$numeric, function(col) {
    x <- d[[col]]
    stopifnot(is.numeric(x))
    signif(unname(stats::quantile(x, c(0.001, 0.999), type = 7, na.rm = TRUE)), 10)
  })
  names(bounds) <- s$numeric
  categorical <- lapply(s$categorical, function(col) levels_of(d[[col]]))
  names(categorical) <- s$categorical
  node_counts <- lapply(s$nodeGroups, function(v) sum(node_values %in% v))
  entries[[length(entries) + 1]] <- list(
    name = s$name,
    file = file,
    label = s$label,
    positives = sum(y == s$label$positive),
    nodeColumn = s$nodeColumn,
    nodeGroups = lapply(s$nodeGroups, as.list),
    nodeCounts = node_counts,
    numeric = as.list(s$numeric),
    bounds = bounds,
    categorical = lapply(categorical, as.list),
    excluded = s$excluded,
    missing = as.list(names(d)[colSums(is.na(d)) > 0]),
    source = s$source,
    licence = s$licence,
    rows = nrow(d),
    rowsInSource = rows_source,
    subset = if (is.null(s$subset)) NULL else
      sprintf("%d of %d rows: set.seed(%d) (Mersenne-Twister, Rejection), sort(sample.int(%d, %d))",
              s$subset$rows, rows_source, s$subset$seed, rows_source, s$subset$rows)
  )
  cat(sprintf("%-22s %6d rows  %5.1f%% %s  nodes %s\n", file, nrow(d), 100 * mean(y == s$label$positive),
              s$label$positive, paste(sprintf("%s=%d", names(node_counts), unlist(node_counts)), collapse = " ")))
}

json <- jsonlite::toJSON(entries, auto_unbox = TRUE, pretty = TRUE, digits = NA, null = "null")
writeLines(json, file.path(out, "datasets.json"), useBytes = TRUE)
