/* The end-to-end pipeline of `smile fit` (docs/experiments.md, section 4):
 *   1. data: load, standardise, shuffle and split by the run seed (src/data);
 *   2. deep-ensemble warm start (de.c), written to de_members.npy;
 *   3. chain k starts at member k (homoscedastic: log σ ← 0), warm-up
 *      then sampling with thinning, samples streamed to disk (fit_sample.c);
 *   4. evaluation of both phases (fit_eval.c) into metrics.json.
 * smile_fit_open does every check that can fail on bad input before anything
 * is written; smile_fit_execute then only fails on runtime problems. */
#include "fit/fit_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

void smile_fit_free(smile_fit *f) {
    if (!f) return;
    if (f->chains)
        for (int k = 0; k < f->cfg.members; k++) smile_chain_free(&f->chains[k]);
    void *bufs[] = {f->chains, f->de_rep, f->y_test, f->labels_test, f->eval_idx};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    smile_model_free(f->model);
    if (f->have_ds) smile_dataset_free(&f->ds);
    if (f->have_schema) smile_table_schema_free(&f->schema);
    free(f);
}

static smile_data_view split_view(const smile_dataset *ds, smile_split s) {
    smile_data_view v;
    memset(&v, 0, sizeof v);
    size_t b = ds->split_begin[s];
    v.n = ds->split_end[s] - b;
    v.x = ds->x ? ds->x + b * ds->feature_dim : NULL;
    v.y = ds->y ? ds->y + b : NULL;
    v.labels = ds->labels ? ds->labels + b : NULL;
    return v;
}

static smile_status open_check_dir(smile_fit *f, int check_dir, char *msg, size_t msg_len);

/* Text task (docs/experiments.md, section 2.3): token splits, window views,
 * the GPT (docs/experiments.md, section 3) with the
 * configured sizes and the data set's vocabulary, the evaluation windows. */
static smile_status open_text(smile_fit *f, int check_dir, char *msg, size_t msg_len) {
    const smile_fit_config *c = &f->cfg;
    const size_t T = c->context;
    f->text = 1;
    f->T = T;
    SMILE_CHECK(!f->ds.tokens || f->ds.vocab_size < 2, SMILE_EFORMAT, msg, msg_len,
                "%s: not a character text", c->data);
    smile_data_view *v[3] = {&f->train, &f->valid, &f->test};
    size_t *nw[3] = {&f->n_train, &f->n_valid, &f->n_test};
    const char *sn[3] = {"training", "validation", "test"};
    for (int s = 0; s < 3; s++) {
        size_t b = f->ds.split_begin[s], n = f->ds.split_end[s] - b;
        f->n_tokens[s] = n;
        /* window starts {0, …, n_split − T − 2}; the view's token
         * stream then has n + T ≤ n_split tokens */
        SMILE_CHECK(n < T + 2, SMILE_EFORMAT, msg, msg_len,
                    "%s: the %s split has %zu tokens, fewer than --context %zu + 2", c->data,
                    sn[s], n, T);
        memset(v[s], 0, sizeof *v[s]);
        v[s]->n = n - T - 1;
        v[s]->tokens = f->ds.tokens + b;
        *nw[s] = v[s]->n;
    }
    fit_clamp_batches(f, f->n_train, "windows");
    f->post = f->train;
    f->n_post = f->n_train;
    /* n_b = ⌊⌊n_train/T⌋/B⌋ ≥ 1 (FLOOR); N_OVER_B: (n_train/T)/B */
    {
        size_t nt = f->n_tokens[0] / T;
        f->text_scale = c->scale == SMILE_SCALE_FLOOR
                            ? (double)(nt / c->batch > 0 ? nt / c->batch : 1)
                            : (double)nt / (double)c->batch;
    }
    /* evaluation windows: k random starts drawn once, as the reference
     * implementation does, or (our addition) every non-overlapping window
     * 0, T, 2T, … */
    const size_t nwin = c->text_eval_windows;
    f->n_eval = nwin > 0 ? nwin : (f->test.n - 1) / T + 1;
    f->eval_idx = malloc(f->n_eval * sizeof(uint32_t));
    SMILE_CHECK(!f->eval_idx, SMILE_ENOMEM, msg, msg_len, "out of memory");
    if (nwin > 0) {
        smile_rng r;
        smile_rng_init(&r, c->seed, SMILE_DATA_SPLIT_CHAIN - 1, SMILE_RNG_DATA);
        SMILE_TRY(smile_text_sample_windows(&f->ds, SMILE_SPLIT_TEST, T, f->n_eval, &r,
                                            f->eval_idx));
    } else {
        for (size_t i = 0; i < f->n_eval; i++) f->eval_idx[i] = (uint32_t)(i * T);
    }
    f->n_test = f->n_eval * T;
    f->labels_test = malloc(f->n_test * sizeof(int32_t));
    SMILE_CHECK(!f->labels_test, SMILE_ENOMEM, msg, msg_len, "out of memory");
    SMILE_TRY(smile_text_gather_windows(&f->ds, SMILE_SPLIT_TEST, f->eval_idx, f->n_eval, T, NULL,
                                        f->labels_test));
    smile_model_desc md = smile_model_desc_default(SMILE_MODEL_GPT);
    md.prior_sigma = c->prior_sigma;
    md.likelihood = SMILE_LIK_TOKEN;
    md.depth = c->gpt_layers;
    md.embed = c->gpt_width;
    md.heads = c->gpt_heads;
    md.mlp = 4 * c->gpt_width;
    md.context = T;
    md.vocab = f->ds.vocab_size;
    md.gpt_pre_ln = c->gpt_pre_ln;
    SMILE_TRY(smile_model_init(&f->model, &md, msg, msg_len));
    f->d = smile_model_param_count(f->model);
    f->log_sigma = SIZE_MAX;
    return open_check_dir(f, check_dir, msg, msg_len);
}

/* The default's budget of sampling work (config.c, fit_apply_budget), with the
 * rows one gradient of fit_sample reads. */
static void apply_budget(smile_fit *f) {
    smile_fit_config *c = &f->cfg;
    const int64_t w0 = c->warmup, s0 = c->samples;
    const size_t rows = fit_gradient_rows(f);
    if (fit_apply_budget(c, rows, f->d))
        fit_note(f,
                 "%zu rows, %zu parameters: %lld warm-up and %lld sampling steps per member "
                 "instead of %lld and %lld, to keep the run's work in the default budget "
                 "(--warmup and --samples set them)",
                 rows, f->d, (long long)c->warmup, (long long)c->samples, (long long)w0,
                 (long long)s0);
}

static smile_status open_common(smile_fit *f, int check_dir, char *msg, size_t msg_len) {
    smile_fit_config *c = &f->cfg;
    SMILE_TRY(smile_fit_config_validate(c, msg, msg_len));
    /* data (bad files are reported with file and line by the loader) */
    smile_data_options opts = smile_data_options_default();
    opts.seed = c->seed;
    opts.threads = f->threads;
    opts.check_official_sizes = c->strict_sizes;
    if (!strcmp(c->data, SMILE_FIT_BUILTIN))
        SMILE_TRY(fit_synthetic_dataset(&f->ds, c->seed, msg, msg_len));
    else if (c->task == SMILE_DATA_TABLE)
        SMILE_TRY(fit_load_table(f, msg, msg_len));
    else
        SMILE_TRY(smile_dataset_load(&f->ds, c->task, c->data, &opts, msg, msg_len));
    f->have_ds = 1;
    fit_note_lines(f, f->ds.warnings); /* the loader's warnings reach the user as notes */
    if (c->task == SMILE_DATA_TEXT) return open_text(f, check_dir, msg, msg_len);
    const int classif = c->task == SMILE_DATA_TABLE ? f->ds.labels != NULL : c->task != SMILE_DATA_UCI;
    if (classif && c->task == SMILE_DATA_TABLE) {
        SMILE_CHECK(f->ds.n_classes < 2, SMILE_EFORMAT, msg, msg_len, "%s: fewer than 2 classes",
                    c->data);
        fit_apply_class_row(&f->cfg);
        fit_ranks_init(f); /* K may have changed: the ranks' member blocks follow */
    } else if (classif)
        SMILE_CHECK(!f->ds.labels || f->ds.n_classes < 2 || f->ds.height == 0, SMILE_EFORMAT,
                    msg, msg_len, "%s: not a labelled image data set", c->data);
    else
        SMILE_CHECK(!f->ds.y || f->ds.feature_dim == 0, SMILE_EFORMAT, msg, msg_len,
                    "%s: not a regression table", c->data);
    f->cfg.class_row = 0;
    f->n_train = smile_dataset_split_size(&f->ds, SMILE_SPLIT_TRAIN);
    f->n_valid = smile_dataset_split_size(&f->ds, SMILE_SPLIT_VALID);
    f->n_test = smile_dataset_split_size(&f->ds, SMILE_SPLIT_TEST);
    SMILE_CHECK(f->n_train < 2 || f->n_valid < 1 || f->n_test < 1, SMILE_EFORMAT, msg, msg_len,
                "%s: %zu rows are too few for a train/validation/test split (%zu/%zu/%zu)",
                c->data, f->ds.n, f->n_train, f->n_valid, f->n_test);
    fit_clamp_batches(f, f->n_train, "rows");
    f->train = split_view(&f->ds, SMILE_SPLIT_TRAIN);
    f->valid = split_view(&f->ds, SMILE_SPLIT_VALID);
    f->test = split_view(&f->ds, SMILE_SPLIT_TEST);
    f->post = f->train; /* the validation split follows the training split */
    SMILE_CHECK(c->sample_valid && f->ds.split_begin[SMILE_SPLIT_VALID] !=
                                       f->ds.split_end[SMILE_SPLIT_TRAIN],
                SMILE_EFORMAT, msg, msg_len, "%s: validation rows do not follow the training rows",
                c->data);
    if (c->sample_valid) f->post.n = f->n_train + f->n_valid;
    f->n_post = f->post.n;
    f->n_eval = f->n_test;
    if (classif) {
        f->labels_test = malloc(f->n_test * sizeof(int32_t));
        SMILE_CHECK(!f->labels_test, SMILE_ENOMEM, msg, msg_len, "out of memory");
        memcpy(f->labels_test, f->test.labels, f->n_test * sizeof(int32_t));
    } else {
        f->y_test = malloc(f->n_test * sizeof(double));
        SMILE_CHECK(!f->y_test, SMILE_ENOMEM, msg, msg_len, "out of memory");
        for (size_t i = 0; i < f->n_test; i++) f->y_test[i] = f->test.y[i];
    }

    /* model: UCI the SMILE (homoscedastic) or MILE (heteroscedastic) FCN of docs/experiments.md,
     * section 3; images the task's network with the data set's shape and classes */
    smile_model_desc md = smile_model_desc_default(c->model);
    md.prior_sigma = c->prior_sigma;
    md.likelihood = c->likelihood;
    if (c->task == SMILE_DATA_TABLE || !classif) {
        md.n_inputs = f->ds.feature_dim;
        md.n_hidden = c->n_hidden;
        md.activation = c->activation;
        md.sigma_link = c->sigma_link;
        md.student_df = c->student_df;
        for (size_t i = 0; i < c->n_hidden; i++) md.hidden[i] = c->hidden[i];
        if (classif) {
            md.likelihood = SMILE_LIK_CATEGORICAL;
            md.n_classes = f->ds.n_classes;
            f->cfg.likelihood = SMILE_LIK_CATEGORICAL;
        }
    } else {
        md.in_h = f->ds.height;
        md.in_w = f->ds.width;
        md.in_c = f->ds.channels;
        md.n_classes = f->ds.n_classes;
    }
    /* the σ link belongs to the heteroscedastic head: recorded with it only */
    if (md.likelihood != SMILE_LIK_GAUSS_HETERO) {
        f->cfg.sigma_link = md.sigma_link = SMILE_SIGMA_EXP;
        f->cfg.student_df = md.student_df = 0; /* so is the noise family */
    }
    SMILE_TRY(smile_model_init(&f->model, &md, msg, msg_len));
    SMILE_CHECK(smile_model_input_size(f->model) != f->ds.feature_dim, SMILE_EINVAL, msg, msg_len,
                "%s: rows of %zu values do not fit the %s model's input of %zu", c->data,
                f->ds.feature_dim, smile_model_kind_name(c->model),
                smile_model_input_size(f->model));
    f->d = smile_model_param_count(f->model);
    apply_budget(f);
    smile_param_entry e;
    f->log_sigma = SIZE_MAX;
    if (smile_model_likelihood(f->model) == SMILE_LIK_GAUSS_HOMO &&
        smile_model_layout_find(f->model, "log_sigma", &e) == SMILE_OK)
        f->log_sigma = e.offset;
    return open_check_dir(f, check_dir, msg, msg_len);
}

static smile_status open_check_dir(smile_fit *f, int check_dir, char *msg, size_t msg_len) {
    const smile_fit_config *c = &f->cfg;
    {
        char m2[256] = "";
        if (smile_sampler_params_validate(&c->sampler, f->d, m2, sizeof m2) != SMILE_OK)
            SMILE_CHECK(1, SMILE_EINVAL, msg, msg_len, "--sampler %s: %s",
                        smile_sampler_name(c->sampler.kind), m2);
    }
    if (!check_dir) return SMILE_OK;
    /* output directory */
    struct stat sb;
    if (stat(c->out, &sb) == 0) {
        SMILE_CHECK(!S_ISDIR(sb.st_mode), SMILE_EINVAL, msg, msg_len,
                    "--out %s: exists and is not a directory", c->out);
        char *cj = fit_path(f, "config.json");
        int has = fit_file_exists(cj);
        free(cj);
        SMILE_CHECK(has && !f->rt.resume, SMILE_EINVAL, msg, msg_len,
                    "--out %s already holds a run (config.json); use --resume to continue it or "
                    "choose another directory",
                    c->out);
        SMILE_CHECK(!has && f->rt.resume, SMILE_EINVAL, msg, msg_len,
                    "--resume: %s holds no run (config.json missing)", c->out);
    } else {
        SMILE_CHECK(f->rt.resume, SMILE_EINVAL, msg, msg_len, "--resume: %s does not exist",
                    c->out);
    }
    /* an output directory that cannot be created or written is bad input, found before any
     * work; by rank 0 alone (the probe creates and removes the directory: ranks would race) */
    char m2[400] = "";
    smile_status st = f->rank == 0 ? smile_dir_check_writable(c->out, m2, sizeof m2) : SMILE_OK;
    SMILE_CHECK(st != SMILE_OK, st, msg, msg_len, "--out %s", m2);
    return SMILE_OK;
}

static smile_status fit_alloc(smile_fit **out, const smile_fit_config *c,
                              const smile_fit_runtime *rt, char *msg, size_t msg_len) {
    SMILE_CHECK(!out || !c, SMILE_EINVAL, msg, msg_len, "NULL argument");
    *out = NULL;
    smile_fit *f = calloc(1, sizeof *f);
    SMILE_CHECK(!f, SMILE_ENOMEM, msg, msg_len, "out of memory");
    f->cfg = *c;
    if (rt) f->rt = *rt;
    f->threads = f->rt.threads;
#ifdef _OPENMP
    if (f->threads <= 0) f->threads = omp_get_num_procs();
#endif
    if (f->threads <= 0) f->threads = 1;
    /* absolute data path, so that `smile eval DIR` works from any directory */
    char abs[PATH_MAX];
    if (strcmp(f->cfg.data, SMILE_FIT_BUILTIN) && realpath(f->cfg.data, abs)) snprintf(f->cfg.data, sizeof f->cfg.data, "%s", abs);
    fit_ranks_init(f);
    *out = f;
    return SMILE_OK;
}

/* --de-from: the earlier run must have trained the same DE, i.e. agree on
 * every setting the DE depends on (its config.json against ours). */
static smile_status de_from_check(smile_fit *f, const char *dir, char *msg, size_t msg_len) {
    char *cp = smile_path_join(dir, "config.json");
    SMILE_CHECK(!cp, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON *src = NULL, *own = NULL;
    char why[512] = "";
    smile_status st = smile_json_read_file(cp, &src, why, sizeof why);
    free(cp);
    if (st != SMILE_OK) smile_set_msg(msg, msg_len, "--de-from %s: not a finished run (%s)", dir, why);
    if (st == SMILE_OK) st = smile_fit_config_to_json(&f->cfg, &own);
    static const char *keys[] = {"task", "data", "seed", "members", "strict_sizes", "model",
                                 "reference_batching", "deep_ensemble"};
    for (size_t i = 0; st == SMILE_OK && i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(src, keys[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(own, keys[i]);
        if (!cJSON_Compare(a, b, 1)) {
            smile_set_msg(msg, msg_len,
                          "--de-from %s: its DE was trained with a different \"%s\" setting", dir,
                          keys[i]);
            st = SMILE_EINVAL;
        }
    }
    cJSON_Delete(src);
    cJSON_Delete(own);
    return st;
}

smile_status smile_fit_open(smile_fit **out, const smile_fit_config *c, const smile_fit_runtime *rt,
                            char *msg, size_t msg_len) {
    SMILE_TRY(fit_alloc(out, c, rt, msg, msg_len));
    smile_status st = open_common(*out, 1, msg, msg_len);
    /* a wrong --de-from is bad input: refuse it before anything is written */
    if (st == SMILE_OK && c->de_from[0] && !(rt && rt->resume))
        st = de_from_check(*out, c->de_from, msg, msg_len);
    /* every rank opens; all go on only if all could (the lowest failing rank's message) */
    st = fit_agree(*out, st, msg, msg_len);
    if (st != SMILE_OK) {
        smile_fit_free(*out);
        *out = NULL;
    }
    return st;
}

/* ---- run files ------------------------------------------------------------------------ */

static smile_status write_json(smile_fit *f, const char *name, const cJSON *o, char *msg,
                               size_t msg_len) {
    char *p = fit_path(f, name);
    SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = smile_json_write_file(p, o, msg, msg_len);
    free(p);
    return st;
}

static smile_status write_config(smile_fit *f, char *msg, size_t msg_len) {
    cJSON *o;
    SMILE_TRY(smile_fit_config_to_json(&f->cfg, &o));
    /* derived values and runtime settings (informational; not read back) */
    cJSON *dv = cJSON_AddObjectToObject(o, "derived");
    if (dv) {
        cJSON_AddNumberToObject(dv, "dim", (double)f->d);
        cJSON_AddNumberToObject(dv, "n_rows", (double)f->ds.n);
        cJSON_AddNumberToObject(dv, "n_features", (double)f->ds.feature_dim);
        cJSON_AddNumberToObject(dv, "n_train", (double)f->n_train);
        cJSON_AddNumberToObject(dv, "n_valid", (double)f->n_valid);
        cJSON_AddNumberToObject(dv, "n_test", (double)f->n_test);
        if (f->text) {
            cJSON_AddNumberToObject(dv, "vocab_size", (double)f->ds.vocab_size);
            cJSON_AddNumberToObject(dv, "train_tokens", (double)f->n_tokens[0]);
            cJSON_AddNumberToObject(dv, "valid_tokens", (double)f->n_tokens[1]);
            cJSON_AddNumberToObject(dv, "test_tokens", (double)f->n_tokens[2]);
            cJSON_AddNumberToObject(dv, "eval_windows", (double)f->n_eval);
            cJSON_AddStringToObject(dv, "units", "n_train/n_valid: window starts; n_test: "
                                                 "scored test positions");
        } else if (f->y_test) {
            cJSON_AddNumberToObject(dv, "y_mean", f->ds.y_mean);
            cJSON_AddNumberToObject(dv, "y_std", f->ds.y_std);
        } else {
            cJSON_AddNumberToObject(dv, "n_classes", (double)f->ds.n_classes);
            cJSON_AddNumberToObject(dv, "image_height", (double)f->ds.height);
            cJSON_AddNumberToObject(dv, "image_width", (double)f->ds.width);
            cJSON_AddNumberToObject(dv, "image_channels", (double)f->ds.channels);
        }
        cJSON_AddNumberToObject(dv, "likelihood_scale",
                                f->text ? f->text_scale
                                        : smile_batch_scale(f->cfg.scale, f->n_post, f->cfg.batch));
        cJSON_AddNumberToObject(dv, "samples_per_member", (double)(f->cfg.samples / f->cfg.thin));
        cJSON_AddNumberToObject(dv, "grads_per_step", smile_sampler_grads_per_step(&f->cfg.sampler));
        cJSON_AddStringToObject(dv, "sampler_stream",
                                f->text ? "random_windows"
                                : f->cfg.sampler.kind == SMILE_SAMPLER_MCLMC ? "full"
                                : f->cfg.reference_batching               ? "epoch_ref"
                                                                          : "epoch");
    }
    cJSON *rt = cJSON_AddObjectToObject(o, "runtime");
    if (rt) cJSON_AddNumberToObject(rt, "threads", f->threads);
    smile_status st = write_json(f, "config.json", o, msg, msg_len);
    cJSON_Delete(o);
    return st;
}

static smile_status write_layout(smile_fit *f, char *msg, size_t msg_len) {
    cJSON *o = cJSON_CreateObject();
    SMILE_CHECK(!o, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON_AddNumberToObject(o, "dim", (double)f->d);
    cJSON_AddStringToObject(o, "dtype", "float32");
    cJSON *arr = cJSON_AddArrayToObject(o, "params");
    size_t n = smile_model_layout_count(f->model);
    for (size_t i = 0; arr && i < n; i++) {
        smile_param_entry e;
        if (smile_model_layout_get(f->model, i, &e) != SMILE_OK) continue;
        cJSON *it = cJSON_CreateObject();
        if (!it) break;
        cJSON_AddStringToObject(it, "name", e.name);
        cJSON_AddNumberToObject(it, "offset", (double)e.offset);
        cJSON_AddNumberToObject(it, "size", (double)e.size);
        cJSON *sh = cJSON_AddArrayToObject(it, "shape");
        for (int k = 0; sh && k < e.ndim; k++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e.shape[k]));
        cJSON_AddItemToArray(arr, it);
    }
    smile_status st = write_json(f, "layout.json", o, msg, msg_len);
    cJSON_Delete(o);
    return st;
}

static smile_status write_run(smile_fit *f, int with_sampling, cJSON **run_out, char *msg,
                              size_t msg_len) {
    cJSON *o = cJSON_CreateObject();
    SMILE_CHECK(!o, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON_AddItemToObject(o, "de", fit_de_report_json(f));
    if (with_sampling) cJSON_AddItemToObject(o, "sampling", fit_sampling_report_json(f));
    smile_status st = write_json(f, "run.json", o, msg, msg_len);
    if (st == SMILE_OK && run_out)
        *run_out = o;
    else
        cJSON_Delete(o);
    return st;
}

/* ---- the pipeline --------------------------------------------------------------------- */

static smile_status run_de(smile_fit *f, float *theta, char *msg, size_t msg_len) {
    const smile_fit_config *c = &f->cfg;
    const int K = c->members;
    char *npy = fit_path(f, "de_members.npy");
    char *runp = fit_path(f, "run.json");
    SMILE_CHECK(!npy || !runp, SMILE_ENOMEM, msg, msg_len, "out of memory");
    smile_status st = SMILE_OK;
    const int resumed = f->rt.resume && fit_file_exists(npy) && fit_file_exists(runp);
    if (!resumed && c->de_from[0]) { /* DE of another run, copied here */
        free(npy);
        free(runp);
        npy = smile_path_join(c->de_from, "de_members.npy");
        runp = smile_path_join(c->de_from, "run.json");
        SMILE_CHECK(!npy || !runp, SMILE_ENOMEM, msg, msg_len, "out of memory");
        /* smile_fit_open checked it already, except for a resumed run */
        if (f->rt.resume) st = de_from_check(f, c->de_from, msg, msg_len);
        if (st == SMILE_OK && (!fit_file_exists(npy) || !fit_file_exists(runp))) {
            smile_set_msg(msg, msg_len, "--de-from %s: no de_members.npy and run.json there",
                          c->de_from);
            st = SMILE_EIO;
        }
    }
    if (st == SMILE_OK && (resumed || c->de_from[0])) {
        /* DE of an earlier session, or of the --de-from run */
        float *buf = NULL;
        size_t r = 0, cc = 0;
        cJSON *run = NULL;
        st = smile_npy_read(npy, &buf, &r, &cc, msg, msg_len);
        if (st == SMILE_OK && (r != (size_t)K || cc != f->d)) {
            smile_set_msg(msg, msg_len, "%s: shape (%zu, %zu), expected (%d, %zu)", npy, r, cc, K,
                          f->d);
            st = SMILE_EFORMAT;
        }
        if (st == SMILE_OK) st = smile_json_read_file(runp, &run, msg, msg_len);
        if (st == SMILE_OK) {
            memcpy(theta, buf, (size_t)K * f->d * sizeof(float));
            const cJSON *de = cJSON_GetObjectItemCaseSensitive(run, "de");
            fit_de_report_from_json(f, de);
        }
        cJSON_Delete(run);
        free(buf);
        free(npy);
        free(runp);
        if (st == SMILE_OK && !resumed && f->rank == 0) { /* --de-from: this run's own copy */
            char *own = fit_path(f, "de_members.npy");
            st = own ? smile_npy_write(own, theta, (size_t)K, f->d, msg, msg_len) : SMILE_ENOMEM;
            free(own);
            if (st == SMILE_OK) st = write_run(f, 0, NULL, msg, msg_len);
        }
        return st;
    }
    if (st != SMILE_OK) {
        free(npy);
        free(runp);
        return st;
    }
    smile_de_params p = c->de;
    p.members = f->kn; /* this rank's members */
    p.first_member = f->k0;
    p.comm = f->comm;
    p.seed = c->seed;
    p.threads = f->threads;
    p.stream = c->reference_batching ? SMILE_STREAM_EPOCH_REF : SMILE_STREAM_EPOCH;
    p.augment_truncate = smile_augment_truncate_for(&f->ds);
    if (f->rt.progress) {
        smile_fit_progress pr = {"deep ensemble", 0, K, 0.0, NAN};
        f->rt.progress(f->rt.progress_user, &pr);
    }
    double t0 = fit_now();
    if (f->kn > 0)
        st = smile_de_train(f->model, &f->train, &f->valid, &p, theta + (size_t)f->k0 * f->d,
                            f->de_rep + f->k0, f->rt.stop, msg, msg_len);
    else if (p.reference_restore) /* no members here: only the rule's reduction */
        st = smile_comm_allreduce_max(f->comm, &(int64_t){0}, 1, msg, msg_len);
    f->de_seconds = fit_now() - t0;
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) st = fit_gather_de(f, theta, msg, msg_len);
    if (f->rt.progress && st == SMILE_OK) {
        smile_fit_progress pr = {"deep ensemble", K, K, f->de_seconds, NAN};
        f->rt.progress(f->rt.progress_user, &pr);
    }
    if (st == SMILE_OK && f->rank == 0) st = smile_npy_write(npy, theta, (size_t)K, f->d, msg, msg_len);
    if (st == SMILE_OK && f->rank == 0) st = write_run(f, 0, NULL, msg, msg_len);
    free(npy);
    free(runp);
    return st;
}

static smile_status make_dirs(smile_fit *f, char *msg, size_t msg_len) {
    SMILE_TRY(smile_mkdir_p(f->cfg.out, msg, msg_len));
    const char *sub[] = {"samples", "checkpoint"};
    for (int i = 0; i < 2; i++) {
        char *p = fit_path(f, sub[i]);
        SMILE_CHECK(!p, SMILE_ENOMEM, msg, msg_len, "out of memory");
        smile_status st = smile_mkdir_p(p, msg, msg_len);
        free(p);
        SMILE_TRY(st);
    }
    return SMILE_OK;
}

/* Hands metrics.json's text to the caller (or drops it) and frees the object. */
static smile_status hand_out(cJSON *m, char **json, char *msg, size_t msg_len) {
    if (json) {
        *json = cJSON_Print(m);
        if (!*json) {
            cJSON_Delete(m);
            SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
        }
    }
    cJSON_Delete(m);
    return SMILE_OK;
}

smile_status smile_fit_execute(smile_fit *f, char **metrics, char *msg, size_t msg_len) {
    SMILE_CHECK(!f, SMILE_EINVAL, msg, msg_len, "NULL fit");
    if (metrics) *metrics = NULL;
    const int K = f->cfg.members;
    /* Each evaluation inside one thread: chains / members run in parallel. */
    smile_model_set_threads(1);
    f->de_rep = calloc((size_t)K, sizeof *f->de_rep);
    float *theta = malloc((size_t)K * f->d * sizeof(float));
    if (!f->de_rep || !theta) {
        free(theta);
        SMILE_CHECK(1, SMILE_ENOMEM, msg, msg_len, "out of memory");
    }
    /* rank 0 writes the shared files; the ranks agree after each phase */
    const int root = f->rank == 0;
    smile_status st = root ? make_dirs(f, msg, msg_len) : SMILE_OK;
    if (st == SMILE_OK && root && !f->rt.resume) st = write_config(f, msg, msg_len);
    if (st == SMILE_OK && root && !f->rt.resume) st = write_layout(f, msg, msg_len);
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) st = run_de(f, theta, msg, msg_len);
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) st = fit_agree(f, fit_sample(f, theta, msg, msg_len), msg, msg_len);
    if (st == SMILE_OK) st = smile_comm_gather_chains(f->comm, f->chains, K, msg, msg_len);
    cJSON *run = NULL;
    if (st == SMILE_OK && root) st = write_run(f, 1, &run, msg, msg_len);
    cJSON *m = NULL;
    if (st == SMILE_OK) {
#ifdef _OPENMP
        omp_set_num_threads(f->threads);
#endif
        st = fit_evaluate(f, theta, run, f->cfg.include_diverged, &m, msg, msg_len);
    }
    /* metrics.json last: its presence marks a finished run (a failed write before it
     * leaves a run that --resume completes) */
    if (st == SMILE_OK && root) st = fit_write_model(f, m, msg, msg_len);
    if (st == SMILE_OK && root) st = write_json(f, "metrics.json", m, msg, msg_len);
    st = fit_agree(f, st, msg, msg_len);
    if (st == SMILE_OK) fit_remove_checkpoints(f);
    cJSON_Delete(run);
    free(theta);
    char *text = NULL;
    if (st == SMILE_OK && m) st = hand_out(m, metrics ? &text : NULL, msg, msg_len);
    else cJSON_Delete(m);
    if (st == SMILE_OK && metrics) st = fit_share_text(f, &text, msg, msg_len);
    if (st == SMILE_OK && metrics) *metrics = text;
    else free(text);
    return st;
}

smile_status smile_fit_eval(const char *dir, const smile_fit_runtime *rt, int include_diverged,
                            double min_gap, char **metrics, char *msg, size_t msg_len) {
    SMILE_CHECK(!dir, SMILE_EINVAL, msg, msg_len, "NULL directory");
    if (metrics) *metrics = NULL;
    smile_fit_config c;
    smile_status st = smile_fit_config_load(dir, &c, msg, msg_len);
    SMILE_TRY(st);
    snprintf(c.out, sizeof c.out, "%s", dir);
    if (min_gap >= 0) c.diverge_min_gap = min_gap;
    SMILE_TRY(fit_locate_data(&c, rt ? rt->data : NULL, msg, msg_len));
    smile_fit *f;
    SMILE_TRY(fit_alloc(&f, &c, rt, msg, msg_len));
    st = open_common(f, 0, msg, msg_len);
    if (st == SMILE_OK) { /* metrics.json and model.json are rewritten in dir */
        char m2[400] = "";
        st = smile_dir_check_writable(dir, m2, sizeof m2);
        if (st != SMILE_OK) smile_set_msg(msg, msg_len, "%s", m2);
    }
    const int K = c.members;
    float *theta = NULL;
    cJSON *run = NULL, *m = NULL;
    if (st == SMILE_OK) {
        char *np = fit_path(f, "de_members.npy");
        size_t r = 0, cc = 0;
        st = np ? smile_npy_read(np, &theta, &r, &cc, msg, msg_len) : SMILE_ENOMEM;
        if (st == SMILE_OK && (r != (size_t)K || cc != f->d)) {
            smile_set_msg(msg, msg_len, "%s: shape (%zu, %zu), expected (%d, %zu)", np, r, cc, K,
                          f->d);
            st = SMILE_EFORMAT;
        }
        free(np);
    }
    if (st == SMILE_OK) {
        char *rp = fit_path(f, "run.json");
        if (rp && fit_file_exists(rp)) st = smile_json_read_file(rp, &run, msg, msg_len);
        free(rp);
    }
    if (st == SMILE_OK) {
        smile_model_set_threads(1);
#ifdef _OPENMP
        omp_set_num_threads(f->threads);
#endif
        st = fit_evaluate(f, theta, run, include_diverged >= 0 ? include_diverged : c.include_diverged,
                          &m, msg, msg_len);
    }
    if (st == SMILE_OK) st = fit_write_model(f, m, msg, msg_len);
    if (st == SMILE_OK) st = write_json(f, "metrics.json", m, msg, msg_len); /* last */
    free(theta);
    cJSON_Delete(run);
    smile_fit_free(f);
    if (st == SMILE_OK) return hand_out(m, metrics, msg, msg_len);
    cJSON_Delete(m);
    return st;
}
