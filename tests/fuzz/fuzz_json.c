/* The run directory's JSON files as `smile fit --resume`, `smile eval` and
 * `smile predict` read them: the input is written as config.json
 * (smile_fit_config_load) and as model.json (fit_runmodel_read, the model
 * description, transforms, vocabulary, class names and pooled members) of a
 * scratch run directory, and parsed as a metrics file (smile_json_read_file). */
#include "fit/runmodel.h"
#include "io/io.h"
#include "smile_fit.h"
#include "fuzz_common.h"

#include <cjson/cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n) {
    char dir[160];
    snprintf(dir, sizeof dir, "%s", fuzz_path("run"));
    static int made;
    if (!made) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
        if (system(cmd) != 0) abort();
        made = 1;
    }
    char msg[1024];
    fuzz_file(data, n, "run/config.json", 0);
    smile_fit_config c = smile_fit_config_default(SMILE_DATA_UCI);
    (void)smile_fit_config_load(dir, &c, msg, sizeof msg);
    fuzz_file(data, n, "run/model.json", 0);
    fit_runmodel rm;
    if (fit_runmodel_read(dir, &rm, msg, sizeof msg) == SMILE_OK) fit_runmodel_free(&rm);
    cJSON *o = NULL;
    if (smile_json_read_file(fuzz_path("run/model.json"), &o, msg, sizeof msg) == SMILE_OK)
        cJSON_Delete(o);
    return 0;
}
