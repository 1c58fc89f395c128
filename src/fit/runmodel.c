/* model.json: writing, reading and checking (runmodel.h). */
#include "fit/runmodel.h"
#include "io/io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char *const lik_names[] = {"default", "gauss_homo", "gauss_hetero", "categorical",
                                        "token"};
static const char *const input_names[] = {"table", "standardised", "images", "text"};

void fit_runmodel_free(fit_runmodel *rm) {
    if (!rm) return;
    smile_table_schema_free(&rm->schema);
    free(rm->x_mean);
    free(rm->x_sd);
    for (size_t k = 0; rm->class_names && k < rm->n_classes; k++) free(rm->class_names[k]);
    free(rm->class_names);
    free(rm->vocab);
    free(rm->pooled);
    memset(rm, 0, sizeof *rm);
}

smile_status fit_file_crc32(const char *path, uint32_t *crc, uint64_t *bytes, char *msg,
                            size_t msg_len) {
    FILE *f;
    SMILE_TRY(smile_open_input(path, &f, msg, msg_len));
    unsigned char buf[1 << 16];
    uLong c = crc32(0L, Z_NULL, 0);
    uint64_t n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        c = crc32(c, buf, (uInt)got);
        n += got;
    }
    int err = ferror(f);
    fclose(f);
    SMILE_CHECK(err, SMILE_EIO, msg, msg_len, "%s: read error", path);
    *crc = (uint32_t)c;
    *bytes = n;
    return SMILE_OK;
}

/* ---- writing ------------------------------------------------------------- */

static cJSON *num_array(const double *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static cJSON *str_array(char *const *v, size_t n) {
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

#define DESC_SIZES(X)                                                                              \
    X(n_inputs) X(n_hidden) X(in_h) X(in_w) X(in_c) X(n_classes) X(res_width) X(patch) X(embed)  \
        X(depth) X(heads) X(mlp) X(cls_hidden) X(vocab) X(context)

static cJSON *desc_json(const smile_model_desc *d) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", smile_model_kind_name(d->kind));
    cJSON_AddStringToObject(o, "likelihood", lik_names[d->likelihood]);
    cJSON_AddNumberToObject(o, "prior_sigma", d->prior_sigma);
    cJSON_AddStringToObject(o, "activation", smile_activation_name(d->activation));
    if (d->sigma_link != SMILE_SIGMA_EXP) /* absent: e^η (models written before the option) */
        cJSON_AddStringToObject(o, "sigma_link", smile_sigma_link_name(d->sigma_link));
    if (d->student_df != 0) /* absent: Gaussian noise (models written before the option) */
        cJSON_AddNumberToObject(o, "student_df", d->student_df);
#define X(f) cJSON_AddNumberToObject(o, #f, (double)d->f);
    DESC_SIZES(X)
#undef X
    double h[SMILE_MODEL_MAX_HIDDEN], l[4];
    for (size_t i = 0; i < d->n_hidden && i < SMILE_MODEL_MAX_HIDDEN; i++) h[i] = (double)d->hidden[i];
    for (int i = 0; i < 4; i++) l[i] = (double)d->lenet[i];
    cJSON_AddItemToObject(o, "hidden", num_array(h, d->n_hidden));
    cJSON_AddItemToObject(o, "lenet", num_array(l, 4));
    cJSON_AddBoolToObject(o, "gpt_pre_ln", d->gpt_pre_ln);
    cJSON_AddNumberToObject(o, "ln_eps", d->ln_eps);
    return o;
}

static cJSON *schema_json(const smile_table_schema *s) {
    cJSON *o = cJSON_CreateObject(), *fs = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "n_columns", (double)s->n_src_cols);
    cJSON_AddBoolToObject(o, "drop_missing", s->drop_missing);
    for (size_t i = 0; i < s->n_features; i++) {
        const smile_table_feature *f = &s->features[i];
        cJSON *fo = cJSON_CreateObject();
        cJSON_AddStringToObject(fo, "name", f->name);
        cJSON_AddNumberToObject(fo, "column", (double)f->src);
        if (f->kind == SMILE_COLUMN_NUMERIC) {
            cJSON_AddStringToObject(fo, "kind", "numeric");
            cJSON_AddNumberToObject(fo, "mean", f->mean);
            cJSON_AddNumberToObject(fo, "sd", f->sd);
        } else {
            cJSON_AddStringToObject(fo, "kind", "categorical");
            cJSON_AddItemToObject(fo, "categories", str_array(f->categories, f->n_categories));
        }
        cJSON_AddItemToArray(fs, fo);
    }
    cJSON_AddItemToObject(o, "features", fs);
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", s->target);
    cJSON_AddNumberToObject(t, "column", (double)s->target_src);
    cJSON_AddBoolToObject(t, "classify", s->classify);
    if (s->classify) cJSON_AddItemToObject(t, "classes", str_array(s->classes, s->n_classes));
    cJSON_AddItemToObject(o, "target", t);
    return o;
}

smile_status fit_runmodel_write(const char *dir, const fit_runmodel *rm, char *msg,
                                size_t msg_len) {
    cJSON *o = cJSON_CreateObject();
    SMILE_CHECK(!o, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON_AddStringToObject(o, "format", "smile run model");
    cJSON_AddNumberToObject(o, "version", FIT_RUNMODEL_VERSION);
    cJSON_AddStringToObject(o, "smile_version", smile_version());
    cJSON_AddStringToObject(o, "task", smile_data_task_name(rm->task));
    cJSON_AddItemToObject(o, "model", desc_json(&rm->desc));
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "kind", input_names[rm->inputs]);
    if (rm->inputs == FIT_INPUTS_TABLE) cJSON_AddItemToObject(in, "table", schema_json(&rm->schema));
    if (rm->inputs == FIT_INPUTS_STANDARDISED) {
        cJSON_AddItemToObject(in, "x_mean", num_array(rm->x_mean, rm->n_x));
        cJSON_AddItemToObject(in, "x_sd", num_array(rm->x_sd, rm->n_x));
    }
    if (rm->inputs == FIT_INPUTS_IMAGES && rm->has_image) {
        cJSON *im = cJSON_CreateObject();
        cJSON_AddNumberToObject(im, "height", (double)rm->img_h);
        cJSON_AddNumberToObject(im, "width", (double)rm->img_w);
        cJSON_AddNumberToObject(im, "channels", (double)rm->img_c);
        cJSON_AddNumberToObject(im, "pixel_scale", rm->pixel_scale);
        cJSON_AddItemToObject(im, "mean", num_array(rm->ch_mean, rm->img_c));
        cJSON_AddItemToObject(im, "std", num_array(rm->ch_std, rm->img_c));
        cJSON_AddItemToObject(in, "image", im);
    }
    if (rm->inputs == FIT_INPUTS_TEXT) {
        double *v = malloc((rm->vocab_size ? rm->vocab_size : 1) * sizeof *v);
        for (size_t i = 0; v && i < rm->vocab_size; i++) v[i] = rm->vocab[i];
        cJSON_AddItemToObject(in, "vocab", num_array(v, v ? rm->vocab_size : 0));
        free(v);
    }
    cJSON_AddItemToObject(o, "inputs", in);
    cJSON *tg = cJSON_CreateObject();
    cJSON_AddNumberToObject(tg, "mean", rm->y_mean);
    cJSON_AddNumberToObject(tg, "sd", rm->y_sd);
    if (rm->class_names) cJSON_AddItemToObject(tg, "classes", str_array(rm->class_names, rm->n_classes));
    cJSON_AddItemToObject(o, "target", tg);
    cJSON_AddNumberToObject(o, "members", rm->members);
    cJSON *pl = cJSON_CreateArray();
    for (int k = 0; k < rm->n_pooled; k++) cJSON_AddItemToArray(pl, cJSON_CreateNumber(rm->pooled[k]));
    cJSON_AddItemToObject(o, "members_pooled", pl);
    cJSON_AddNumberToObject(o, "data_crc32", rm->data_crc32);
    cJSON_AddNumberToObject(o, "data_bytes", (double)rm->data_bytes);
    char *path = smile_path_join(dir, "model.json");
    smile_status st = path ? smile_json_write_file(path, o, msg, msg_len) : SMILE_ENOMEM;
    if (!path) smile_set_msg(msg, msg_len, "out of memory");
    free(path);
    cJSON_Delete(o);
    return st;
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
    const char *file;
    char *msg;
    size_t msg_len;
    smile_status st;
} reader;

static const cJSON *need(reader *r, const cJSON *o, const char *key) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it && r->st == SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: missing \"%s\"", r->file, key);
        r->st = SMILE_EFORMAT;
    }
    return it;
}

static double num(reader *r, const cJSON *o, const char *key, double lo, double hi) {
    const cJSON *it = need(r, o, key);
    if (!it) return 0;
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= lo && it->valuedouble <= hi)) {
        if (r->st == SMILE_OK) {
            smile_set_msg(r->msg, r->msg_len, "%s: \"%s\" must be a number in [%g, %g]", r->file,
                          key, lo, hi);
            r->st = SMILE_EFORMAT;
        }
        return 0;
    }
    return it->valuedouble;
}

static const char *str(reader *r, const cJSON *o, const char *key) {
    const cJSON *it = need(r, o, key);
    if (it && !cJSON_IsString(it) && r->st == SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: \"%s\" must be a string", r->file, key);
        r->st = SMILE_EFORMAT;
    }
    return it && cJSON_IsString(it) ? it->valuestring : "";
}

static int name_index(reader *r, const char *key, const char *v, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    if (r->st == SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: unknown %s '%s'", r->file, key, v);
        r->st = SMILE_EFORMAT;
    }
    return 0;
}

/* Array of n numbers (n = its size; at most max) into v (malloc'ed when *v is NULL). */
static size_t nums(reader *r, const cJSON *o, const char *key, double **v, size_t max) {
    const cJSON *a = need(r, o, key);
    if (!a) return 0;
    int n = cJSON_GetArraySize(a);
    if (!cJSON_IsArray(a) || n < 0 || (size_t)n > max) {
        if (r->st == SMILE_OK) {
            smile_set_msg(r->msg, r->msg_len, "%s: \"%s\" must be an array of at most %zu numbers",
                          r->file, key, max);
            r->st = SMILE_EFORMAT;
        }
        return 0;
    }
    double *out = malloc(((size_t)n ? (size_t)n : 1) * sizeof *out);
    if (!out) {
        r->st = SMILE_ENOMEM;
        smile_set_msg(r->msg, r->msg_len, "out of memory");
        return 0;
    }
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble)) {
            if (r->st == SMILE_OK) {
                smile_set_msg(r->msg, r->msg_len, "%s: \"%s\"[%d] is not a finite number", r->file,
                              key, i);
                r->st = SMILE_EFORMAT;
            }
            break;
        }
        out[i++] = it->valuedouble;
    }
    *v = out;
    return (size_t)n;
}

static char **strs(reader *r, const cJSON *o, const char *key, size_t *n_out) {
    const cJSON *a = need(r, o, key);
    *n_out = 0;
    if (!a) return NULL;
    int n = cJSON_GetArraySize(a);
    char **v = calloc(n > 0 ? (size_t)n : 1, sizeof *v);
    if (!v) {
        r->st = SMILE_ENOMEM;
        return NULL;
    }
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, a) {
        v[i] = cJSON_IsString(it) ? malloc(strlen(it->valuestring) + 1) : NULL;
        if (!v[i]) {
            if (r->st == SMILE_OK) {
                smile_set_msg(r->msg, r->msg_len, "%s: \"%s\"[%d] is not a string", r->file, key, i);
                r->st = SMILE_EFORMAT;
            }
            break;
        }
        strcpy(v[i++], it->valuestring);
    }
    *n_out = (size_t)i;
    return v;
}

static void read_desc(reader *r, const cJSON *o, smile_model_desc *d) {
    const char *kind = str(r, o, "kind");
    smile_model_kind k = SMILE_MODEL_FCN;
    if (r->st == SMILE_OK && smile_model_kind_from_name(kind, &k) != SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: unknown model kind '%s'", r->file, kind);
        r->st = SMILE_EFORMAT;
    }
    *d = smile_model_desc_default(k);
    d->likelihood = (smile_likelihood_kind)name_index(r, "likelihood", str(r, o, "likelihood"),
                                                      lik_names, 5);
    d->prior_sigma = num(r, o, "prior_sigma", 1e-300, 1e300);
    const cJSON *ao = cJSON_GetObjectItemCaseSensitive(o, "activation"); /* absent: ReLU */
    const char *act = ao ? str(r, o, "activation") : "relu";
    if (r->st == SMILE_OK && smile_activation_from_name(act, &d->activation) != SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: unknown activation '%s'", r->file, act);
        r->st = SMILE_EFORMAT;
    }
    const cJSON *lo = cJSON_GetObjectItemCaseSensitive(o, "sigma_link"); /* absent: exp */
    const char *link = lo ? str(r, o, "sigma_link") : "exp";
    if (r->st == SMILE_OK && smile_sigma_link_from_name(link, &d->sigma_link) != SMILE_OK) {
        smile_set_msg(r->msg, r->msg_len, "%s: unknown sigma_link '%s'", r->file, link);
        r->st = SMILE_EFORMAT;
    }
    d->student_df = cJSON_GetObjectItemCaseSensitive(o, "student_df") /* absent: Gaussian */
                        ? num(r, o, "student_df", 0, 1000)
                        : 0;
#define X(f) d->f = (size_t)num(r, o, #f, 0, 1e9);
    DESC_SIZES(X)
#undef X
    double *h = NULL, *l = NULL;
    size_t nh = nums(r, o, "hidden", &h, SMILE_MODEL_MAX_HIDDEN);
    size_t nl = nums(r, o, "lenet", &l, 4);
    for (size_t i = 0; h && i < nh; i++) d->hidden[i] = (size_t)h[i];
    for (size_t i = 0; l && i < nl; i++) d->lenet[i] = (size_t)l[i];
    if (r->st == SMILE_OK && nh != d->n_hidden) {
        smile_set_msg(r->msg, r->msg_len, "%s: %zu hidden widths for %zu layers", r->file, nh,
                      d->n_hidden);
        r->st = SMILE_EFORMAT;
    }
    free(h);
    free(l);
    const cJSON *pre = need(r, o, "gpt_pre_ln");
    d->gpt_pre_ln = cJSON_IsTrue(pre);
    d->ln_eps = num(r, o, "ln_eps", 0, 1);
}

static void read_schema(reader *r, const cJSON *o, smile_table_schema *s) {
    s->n_src_cols = (size_t)num(r, o, "n_columns", 1, 1e7);
    s->drop_missing = cJSON_IsTrue(need(r, o, "drop_missing"));
    const cJSON *fs = need(r, o, "features");
    int nf = cJSON_GetArraySize(fs);
    if (r->st != SMILE_OK) return;
    s->features = calloc(nf > 0 ? (size_t)nf : 1, sizeof *s->features);
    if (!s->features) {
        r->st = SMILE_ENOMEM;
        return;
    }
    size_t off = 0;
    const cJSON *fo;
    cJSON_ArrayForEach(fo, fs) {
        smile_table_feature *f = &s->features[s->n_features++];
        const char *name = str(r, fo, "name");
        f->name = malloc(strlen(name) + 1);
        if (f->name) strcpy(f->name, name);
        f->src = (long)num(r, fo, "column", 0, (double)s->n_src_cols - 1);
        f->offset = off;
        if (!strcmp(str(r, fo, "kind"), "numeric")) {
            f->kind = SMILE_COLUMN_NUMERIC;
            f->mean = num(r, fo, "mean", -1e308, 1e308);
            f->sd = num(r, fo, "sd", 1e-300, 1e308);
            off += 1;
        } else {
            f->kind = SMILE_COLUMN_CATEGORICAL;
            f->categories = strs(r, fo, "categories", &f->n_categories);
            off += f->n_categories;
        }
    }
    s->n_encoded = off;
    const cJSON *t = need(r, o, "target");
    if (r->st != SMILE_OK) return;
    const char *tn = str(r, t, "name");
    s->target = malloc(strlen(tn) + 1);
    if (s->target) strcpy(s->target, tn);
    s->target_src = (long)num(r, t, "column", 0, (double)s->n_src_cols - 1);
    s->classify = cJSON_IsTrue(need(r, t, "classify"));
    if (s->classify) s->classes = strs(r, t, "classes", &s->n_classes);
}

/* inputs.image (absent in files written before it was recorded). */
static void read_image(reader *r, const cJSON *in, fit_runmodel *rm) {
    const cJSON *im = cJSON_GetObjectItemCaseSensitive(in, "image");
    if (!im) return;
    rm->has_image = 1;
    rm->img_h = (size_t)num(r, im, "height", 1, 1e5);
    rm->img_w = (size_t)num(r, im, "width", 1, 1e5);
    rm->img_c = (size_t)num(r, im, "channels", 1, 3);
    rm->pixel_scale = num(r, im, "pixel_scale", 1e-300, 1e300);
    double *m = NULL, *sd = NULL;
    size_t nm = nums(r, im, "mean", &m, 3), ns = nums(r, im, "std", &sd, 3);
    for (size_t c = 0; r->st == SMILE_OK && c < 3; c++) {
        rm->ch_mean[c] = c < nm ? m[c] : 0;
        rm->ch_std[c] = c < ns ? sd[c] : 1;
        if (!(rm->ch_std[c] > 0)) {
            smile_set_msg(r->msg, r->msg_len, "%s: image std must be positive", r->file);
            r->st = SMILE_EFORMAT;
        }
    }
    if (r->st == SMILE_OK && (nm != rm->img_c || ns != rm->img_c)) {
        smile_set_msg(r->msg, r->msg_len, "%s: image mean and std need %zu values", r->file,
                      rm->img_c);
        r->st = SMILE_EFORMAT;
    }
    free(m);
    free(sd);
}

static void check_consistent(reader *r, fit_runmodel *rm) {
    if (r->st != SMILE_OK) return;
    const char *why = NULL;
    if (rm->n_pooled < 1) why = "no pooled members";
    for (int k = 0; !why && k < rm->n_pooled; k++)
        if (rm->pooled[k] < 0 || rm->pooled[k] >= rm->members) why = "a pooled member out of range";
    if (!why && rm->inputs == FIT_INPUTS_TABLE && rm->schema.n_encoded != rm->desc.n_inputs)
        why = "the table's encoded width differs from the model's inputs";
    if (!why && rm->inputs == FIT_INPUTS_STANDARDISED && rm->n_x != rm->desc.n_inputs)
        why = "the feature scaling differs in length from the model's inputs";
    if (!why && rm->has_image &&
        (rm->img_h != rm->desc.in_h || rm->img_w != rm->desc.in_w || rm->img_c != rm->desc.in_c))
        why = "the image size differs from the model's input";
    if (!why && rm->inputs == FIT_INPUTS_TEXT && rm->vocab_size != rm->desc.vocab)
        why = "the vocabulary differs in size from the model's";
    if (!why && rm->class_names && rm->n_classes != rm->desc.n_classes)
        why = "the class names differ in number from the model's classes";
    if (!why && !(rm->y_sd > 0)) why = "the target scale is not positive";
    if (why) {
        smile_set_msg(r->msg, r->msg_len, "%s: inconsistent: %s", r->file, why);
        r->st = SMILE_EFORMAT;
    }
}

smile_status fit_runmodel_read(const char *dir, fit_runmodel *rm, char *msg, size_t msg_len) {
    memset(rm, 0, sizeof *rm);
    char *path = smile_path_join(dir, "model.json");
    SMILE_CHECK(!path, SMILE_ENOMEM, msg, msg_len, "out of memory");
    cJSON *o = NULL;
    smile_status st = smile_json_read_file(path, &o, msg, msg_len);
    if (st != SMILE_OK) {
        if (st == SMILE_EIO)
            smile_set_msg(msg, msg_len, "%s: not a smile run directory (no readable model.json)",
                          dir);
        free(path);
        return st;
    }
    reader r = {path, msg, msg_len, SMILE_OK};
    if (strcmp(str(&r, o, "format"), "smile run model") != 0 && r.st == SMILE_OK) {
        smile_set_msg(msg, msg_len, "%s: not a smile model file", path);
        r.st = SMILE_EFORMAT;
    }
    int version = (int)num(&r, o, "version", 1, 1e6);
    if (r.st == SMILE_OK && version != FIT_RUNMODEL_VERSION) {
        smile_set_msg(msg, msg_len, "%s: format version %d, this build reads version %d", path,
                      version, FIT_RUNMODEL_VERSION);
        r.st = SMILE_EFORMAT;
    }
    const char *task = str(&r, o, "task");
    if (r.st == SMILE_OK && smile_data_task_from_name(task, &rm->task) != SMILE_OK) {
        smile_set_msg(msg, msg_len, "%s: unknown task '%s'", path, task);
        r.st = SMILE_EFORMAT;
    }
    const cJSON *md = need(&r, o, "model");
    if (r.st == SMILE_OK) read_desc(&r, md, &rm->desc);
    const cJSON *in = need(&r, o, "inputs");
    if (r.st == SMILE_OK)
        rm->inputs = (fit_inputs_kind)name_index(&r, "input kind", str(&r, in, "kind"), input_names, 4);
    if (r.st == SMILE_OK && rm->inputs == FIT_INPUTS_TABLE) read_schema(&r, need(&r, in, "table"), &rm->schema);
    if (r.st == SMILE_OK && rm->inputs == FIT_INPUTS_STANDARDISED) {
        rm->n_x = nums(&r, in, "x_mean", &rm->x_mean, 1u << 24);
        size_t n2 = nums(&r, in, "x_sd", &rm->x_sd, 1u << 24);
        if (r.st == SMILE_OK && n2 != rm->n_x) {
            smile_set_msg(msg, msg_len, "%s: x_mean and x_sd differ in length", path);
            r.st = SMILE_EFORMAT;
        }
    }
    if (r.st == SMILE_OK && rm->inputs == FIT_INPUTS_IMAGES) read_image(&r, in, rm);
    if (r.st == SMILE_OK && rm->inputs == FIT_INPUTS_TEXT) {
        double *v = NULL;
        rm->vocab_size = nums(&r, in, "vocab", &v, 1u << 21);
        rm->vocab = malloc((rm->vocab_size ? rm->vocab_size : 1) * sizeof *rm->vocab);
        for (size_t i = 0; v && rm->vocab && i < rm->vocab_size; i++) rm->vocab[i] = (uint32_t)v[i];
        free(v);
    }
    const cJSON *tg = need(&r, o, "target");
    if (r.st == SMILE_OK) {
        rm->y_mean = num(&r, tg, "mean", -1e308, 1e308);
        rm->y_sd = num(&r, tg, "sd", 0, 1e308);
        rm->schema.y_mean = rm->y_mean;
        rm->schema.y_sd = rm->y_sd;
        if (cJSON_GetObjectItemCaseSensitive(tg, "classes"))
            rm->class_names = strs(&r, tg, "classes", &rm->n_classes);
    }
    rm->members = (int)num(&r, o, "members", 1, 1 << 20);
    double *pl = NULL;
    size_t np = nums(&r, o, "members_pooled", &pl, 1 << 20);
    rm->pooled = malloc((np ? np : 1) * sizeof *rm->pooled);
    for (size_t k = 0; pl && rm->pooled && k < np; k++) rm->pooled[k] = (int)pl[k];
    rm->n_pooled = (int)np;
    free(pl);
    rm->data_crc32 = (uint32_t)num(&r, o, "data_crc32", 0, 4294967295.0);
    rm->data_bytes = (uint64_t)num(&r, o, "data_bytes", 0, 9e18);
    check_consistent(&r, rm);
    cJSON_Delete(o);
    free(path);
    if (r.st != SMILE_OK) fit_runmodel_free(rm);
    return r.st;
}
