/* Scoring building blocks: log-sum-exp, empirical quantiles (section 11.5), the two
 * calibration errors (section 11.7), macro F1, AUROC and AURC (section 11.6). */
#include "metrics/metrics_internal.h"

#include <stdlib.h>
#include <string.h>

double smile_logsumexp(const double *a, size_t m) {
    if (m == 0) return -INFINITY;
    double mx = a[0];
    for (size_t j = 0; j < m; j++) {
        if (isnan(a[j])) return NAN;
        if (a[j] > mx) mx = a[j];
    }
    if (!isfinite(mx)) return mx; /* all −inf, or a +inf present */
    double s = 0;
    for (size_t j = 0; j < m; j++) s += exp(a[j] - mx);
    return mx + log(s);
}

double smile_quantile_sorted(const double *v, size_t m, double q) {
    if (!v || m == 0 || !(q >= 0 && q <= 1)) return NAN;
    double h = (double)(m - 1) * q;
    size_t f = (size_t)floor(h);
    if (f >= m - 1) return v[m - 1];
    return v[f] + (h - (double)f) * (v[f + 1] - v[f]);
}

/* Bin m (0-based) of x in n_bins equal-width bins (m/M, (m+1)/M], edges
 * computed as (double)m/M so that x == edge falls in the lower bin; −1 for
 * x <= 0 or x > 1 or NaN. */
static long bin_of(double x, size_t n_bins) {
    if (!(x > 0 && x <= 1)) return -1;
    double M = (double)n_bins;
    long m = (long)ceil(x * M) - 1;
    if (m < 0) m = 0;
    if (m > (long)n_bins - 1) m = (long)n_bins - 1;
    while (m > 0 && x <= (double)m / M) m--;
    while (m < (long)n_bins - 1 && x > (double)(m + 1) / M) m++;
    return m;
}

smile_status smile_ece_top_label(const double *pbar, const int32_t *labels, size_t n, size_t C,
                                 size_t n_bins, double *ece, size_t *bin_count, double *bin_acc,
                                 double *bin_conf) {
    if (!pbar || !labels || !ece || n == 0 || C == 0 || n_bins == 0) return SMILE_EINVAL;
    size_t *cnt = calloc(n_bins, sizeof(size_t));
    double *sacc = calloc(n_bins, sizeof(double)), *sconf = calloc(n_bins, sizeof(double));
    if (!cnt || !sacc || !sconf) {
        free(cnt); free(sacc); free(sconf);
        return SMILE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const double *p = pbar + i * C;
        size_t c = smile_argmax_d(p, C); /* c̃_i, κ_i = p̄_{i,c̃} */
        long m = bin_of(p[c], n_bins);
        if (m < 0) continue; /* κ >= 1/C > 0: only NaN lands here */
        cnt[m]++;
        sacc[m] += (labels[i] == (int32_t)c);
        sconf[m] += p[c];
    }
    double e = 0;
    for (size_t m = 0; m < n_bins; m++) {
        double acc = cnt[m] ? sacc[m] / (double)cnt[m] : 0;
        double conf = cnt[m] ? sconf[m] / (double)cnt[m] : 0;
        if (cnt[m]) e += (double)cnt[m] / (double)n * fabs(acc - conf);
        if (bin_count) bin_count[m] = cnt[m];
        if (bin_acc) bin_acc[m] = cnt[m] ? acc : NAN;
        if (bin_conf) bin_conf[m] = cnt[m] ? conf : NAN;
    }
    *ece = e;
    free(cnt); free(sacc); free(sconf);
    return SMILE_OK;
}

smile_status smile_ece_true_class(const double *pbar, const int32_t *labels, const int32_t *pred,
                                  size_t n, size_t C, size_t n_bins, double *ece, double *ce_ref) {
    if (!pbar || !labels || !pred || !ece || n == 0 || C == 0 || n_bins == 0)
        return SMILE_EINVAL;
    size_t *cnt = calloc(n_bins, sizeof(size_t));
    double *sacc = calloc(n_bins, sizeof(double)), *sq = calloc(n_bins, sizeof(double));
    if (!cnt || !sacc || !sq) {
        free(cnt); free(sacc); free(sq);
        return SMILE_ENOMEM;
    }
    size_t tot = 0;
    for (size_t i = 0; i < n; i++) {
        double q = pbar[i * C + (size_t)labels[i]]; /* step 1 */
        long m = bin_of(q, n_bins);                  /* step 2: q = 0 in no bin */
        if (m < 0) continue;
        cnt[m]++;
        tot++;
        sacc[m] += (pred[i] == labels[i]);
        sq[m] += q;
    }
    double e = 0;
    for (size_t m = 0; m < n_bins; m++) {
        if (!cnt[m]) continue;
        double gap = (sacc[m] - sq[m]) / (double)cnt[m]; /* step 4 */
        e += (double)cnt[m] / (double)tot * fabs(gap);
    }
    /* (our addition) no binned point (all q = 0): define 0, like empty bins */
    *ece = tot ? e : 0.0;
    /* step 5 with κ = 0: w_m = 1/M */
    if (ce_ref) *ce_ref = *ece / (double)n_bins;
    free(cnt); free(sacc); free(sq);
    return SMILE_OK;
}

double smile_f1_macro(const int32_t *pred, const int32_t *labels, size_t n, size_t C) {
    if (!pred || !labels || n == 0 || C == 0) return NAN;
    size_t *tp = calloc(C, sizeof(size_t)), *fp = calloc(C, sizeof(size_t)),
           *fn = calloc(C, sizeof(size_t)), *present = calloc(C, sizeof(size_t));
    double res = NAN;
    if (tp && fp && fn && present) {
        for (size_t i = 0; i < n; i++) {
            size_t y = (size_t)labels[i], p = (size_t)pred[i];
            present[y]++;
            if (p == y) tp[y]++;
            else {
                if (p < C) fp[p]++;
                fn[y]++;
            }
        }
        double sum = 0;
        size_t cnt = 0;
        for (size_t c = (C == 2 ? 1 : 0); c < C; c++) {
            if (C != 2 && !present[c]) continue;
            double prec = (double)tp[c] / ((double)(tp[c] + fp[c]) + 1e-10);
            double rec = (double)tp[c] / ((double)(tp[c] + fn[c]) + 1e-10);
            sum += 2 * prec * rec / (prec + rec + 1e-10);
            cnt++;
        }
        res = cnt ? sum / (double)cnt : NAN;
    }
    free(tp); free(fp); free(fn); free(present);
    return res;
}

typedef smile_value_index vi_t;

static int cmp_vi_desc(const void *pa, const void *pb) {
    const vi_t *a = pa, *b = pb;
    if (a->v > b->v) return -1;
    if (a->v < b->v) return 1;
    return (a->i > b->i) - (a->i < b->i);
}

double smile_auroc_ovr(const double *pbar, const int32_t *labels, size_t n, size_t C) {
    if (!pbar || !labels || n == 0 || C == 0) return NAN;
    vi_t *v = malloc(n * sizeof *v);
    if (!v) return NAN;
    double sum = 0;
    size_t used = 0;
    for (size_t c = 0; c < C; c++) {
        size_t npos = 0;
        for (size_t i = 0; i < n; i++) {
            v[i].v = pbar[i * C + c];
            v[i].i = i;
            npos += (labels[i] == (int32_t)c);
        }
        size_t nneg = n - npos;
        if (!npos || !nneg) continue; /* skipped class */
        qsort(v, n, sizeof *v, smile_cmp_value_index);
        /* Mann–Whitney: U = (rank sum of positives) − npos(npos+1)/2 with
         * average ranks over ties, which counts a tied pair as 1/2. */
        double rsum = 0;
        for (size_t s = 0; s < n;) {
            size_t e = s + 1;
            while (e < n && v[e].v == v[s].v) e++;
            double r = 0.5 * ((double)(s + 1) + (double)e);
            for (size_t j = s; j < e; j++)
                if (labels[v[j].i] == (int32_t)c) rsum += r;
            s = e;
        }
        double U = rsum - 0.5 * (double)npos * ((double)npos + 1);
        sum += U / ((double)npos * (double)nneg);
        used++;
    }
    free(v);
    return used ? sum / (double)used : NAN;
}

double smile_aurc(const double *pbar, const int32_t *labels, size_t n, size_t C) {
    if (!pbar || !labels || n == 0 || C == 0) return NAN;
    vi_t *v = malloc(n * sizeof *v);
    if (!v) return NAN;
    for (size_t i = 0; i < n; i++) {
        size_t c = smile_argmax_d(pbar + i * C, C);
        v[i].v = pbar[i * C + c]; /* κ_i; sorted by (κ desc, index asc) */
        v[i].i = i;
    }
    qsort(v, n, sizeof *v, cmp_vi_desc);
    double area = 0, prev = 0;
    size_t err = 0;
    for (size_t j = 1; j <= n; j++) {
        size_t i = v[j - 1].i;
        err += (smile_argmax_d(pbar + i * C, C) != (size_t)labels[i]);
        double risk = (double)err / (double)j;
        if (j >= 2) area += (prev + risk) / (2.0 * (double)n);
        prev = risk;
    }
    free(v);
    return area;
}
