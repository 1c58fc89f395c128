#!/usr/bin/env bash
# The library as users install it: `make install` into a temporary PREFIX (and a
# DESTDIR staging), a program using only the installed headers built with nothing
# but `pkg-config --cflags --libs smile` (shared, and static against libsmile.a),
# the installed `smile --version`, and `make uninstall` leaving no file behind.
# Installs the build that $SMILE_BIN belongs to (the ASan tree holds tests only:
# then the release build). Last line: "cli_install: N passed, N failed".
source "$(dirname "$0")/lib_cli.sh"
build=$(dirname "$BIN")
[ "$build" = build-asan ] && build=build
version=$(sed -n 's/^#define SMILE_VERSION_STRING "\(.*\)"/\1/p' include/smile.h)
major=${version%%.*}

# A 2-D Gaussian with mean (1, -2) and sds (1, 0.5), full-batch MCLMC; all three headers.
cat > "$tmp/app.c" <<'EOF'
#include <smile_fit.h>
#include <stdio.h>
#include <string.h>

static const double mu[2] = {1.0, -2.0}, prec[2] = {1.0, 4.0};

static int gauss2(void *user, const float *x, const smile_batch *b, double *logp,
                  float *grad) {
    double s = 0;
    for (int i = 0; i < 2; i++) {
        double r = x[i] - mu[i];
        s += prec[i] * r * r;
        grad[i] = (float)(-prec[i] * r);
    }
    *logp = -0.5 * s;
    return 0;
}

int main(void) {
    char msg[256];
    if (strcmp(smile_version(), SMILE_VERSION_STRING) != 0) return 2;
    smile_target t = {2, gauss2, NULL, 0};
    smile_sampler_params p = smile_sampler_params_default(SMILE_SAMPLER_MCLMC);
    smile_sampler_params_mclmc_preset(&p, SMILE_MCLMC_TUNING_BLACKJAX);
    smile_chain c;
    smile_batch full = {NULL, 0, 1.0, 0, 0};
    smile_step_info info;
    if (smile_chain_init(&c, &p, 2, 7, 0, NULL, msg, sizeof msg) != SMILE_OK ||
        smile_chain_begin_warmup(&c, &t, 2000, msg, sizeof msg) != SMILE_OK) {
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    for (int i = 0; i < 2000; i++) smile_chain_step(&c, &t, &full, &info);
    if (smile_chain_begin_sampling(&c, &t, 20000, 1, msg, sizeof msg) != SMILE_OK) return 1;
    double m[2] = {0, 0};
    for (int i = 0; i < 20000; i++) {
        smile_chain_step(&c, &t, &full, &info);
        for (int j = 0; j < 2; j++) m[j] += c.x[j] / 20000.0;
    }
    smile_chain_free(&c);
    printf("smile %s (%s): mean %.3f %.3f\n", smile_version(), smile_status_str(SMILE_OK),
           m[0], m[1]);
    for (int j = 0; j < 2; j++)
        if (m[j] - mu[j] > 0.1 || mu[j] - m[j] > 0.1) return 1;
    return 0;
}
EOF

# build_run NAME PREFIX_ROOT [--static]: compiles app.c with pkg-config flags only
# (PKG_CONFIG_SYSROOT_DIR set by the caller for a DESTDIR tree) and runs it.
build_run() {
  local name="$1" lib="$2/lib" libs out rc=0
  if [ "${3:-}" = --static ]; then  # both libraries sit in libdir: ask for the archive
    libs=$(pkg-config --static --libs smile) && libs=${libs/-lsmile/-l:libsmile.a}
  else
    libs=$(pkg-config --libs smile)
  fi
  check "$name: compiles with pkg-config" cc -std=c11 -o "$tmp/$name" "$tmp/app.c" \
    $(pkg-config --cflags smile) $libs
  if [ "${3:-}" = --static ]; then
    check "$name: no libsmile.so needed" bash -c "! ldd '$tmp/$name' | grep -q libsmile"
    out=$("$tmp/$name" 2>&1) || rc=$?
  else
    check "$name: libsmile.so.$major from $lib" bash -c \
      "LD_LIBRARY_PATH='$lib' ldd '$tmp/$name' | grep -q 'libsmile.so.$major => $lib/'"
    out=$(LD_LIBRARY_PATH="$lib" "$tmp/$name" 2>&1) || rc=$?
  fi
  check "$name: runs, mean ok: $out" test "$rc" -eq 0
}

# installed: the exact list of files and links under $1
installed() { (cd "$1" && find . ! -type d | sort | tr '\n' ' '); }
expect="./bin/smile ./include/smile.h ./include/smile_comm.h ./include/smile_fit.h ./include/smile_nn.h ./include/smile_sample.h \
./lib/libsmile.a ./lib/libsmile.so ./lib/libsmile.so.$major ./lib/libsmile.so.$version \
./lib/pkgconfig/smile.pc "

prefix="$tmp/prefix"
if make -s install BUILD="$build" PREFIX="$prefix" > "$tmp/make.log" 2>&1; then ok
else nok "make install: $(tail -n 20 "$tmp/make.log")"; fi
check "installed files: $(installed "$prefix")" test "$(installed "$prefix")" = "$expect"
check "libsmile.so.$major -> libsmile.so.$version" \
  test "$(readlink "$prefix/lib/libsmile.so.$major")" = "libsmile.so.$version"
check "libsmile.so -> libsmile.so.$major" \
  test "$(readlink "$prefix/lib/libsmile.so")" = "libsmile.so.$major"
check "soname libsmile.so.$major" bash -c \
  "readelf -d '$prefix/lib/libsmile.so.$version' | grep -q 'SONAME.*\[libsmile.so.$major\]'"
check "smile --version" test "$("$prefix/bin/smile" --version)" = "smile $version"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config --modversion" test "$(pkg-config --modversion smile)" = "$version"
build_run app_shared "$prefix"
build_run app_static "$prefix" --static
if make -s uninstall BUILD="$build" PREFIX="$prefix" > "$tmp/make.log" 2>&1; then ok
else nok "make uninstall: $(tail -n 20 "$tmp/make.log")"; fi
check "uninstall leaves: $(installed "$prefix")" test -z "$(installed "$prefix")"

# Staged install: files under DESTDIR, paths in smile.pc without it.
stage="$tmp/stage"
if make -s install BUILD="$build" DESTDIR="$stage" PREFIX=/opt/smile > "$tmp/make.log" 2>&1
then ok; else nok "make install DESTDIR: $(tail -n 20 "$tmp/make.log")"; fi
check "DESTDIR files" test "$(installed "$stage/opt/smile")" = "$expect"
check "DESTDIR smile.pc prefix" grep -qx 'prefix=/opt/smile' "$stage/opt/smile/lib/pkgconfig/smile.pc"
PKG_CONFIG_PATH="$stage/opt/smile/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" \
  build_run app_staged "$stage/opt/smile"
if make -s uninstall BUILD="$build" DESTDIR="$stage" PREFIX=/opt/smile > "$tmp/make.log" 2>&1
then ok; else nok "make uninstall DESTDIR: $(tail -n 20 "$tmp/make.log")"; fi
check "DESTDIR uninstall leaves: $(installed "$stage")" test -z "$(installed "$stage")"
echo "cli_install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
