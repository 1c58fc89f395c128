# smile: build with `make`; the command lands at build/smile.
#   make            libraries build/libsmile.a, build/libsmile.so.X.Y.Z + CLI build/smile
#   make install    PREFIX=/usr/local (DESTDIR= for staging); make uninstall
#   make test       unit + statistical tests (default tier, < 5 min) incl. ASan+UBSan build
#   make test-long  longer statistical tests
#   make asan       sanitizer build of the tests and the command (build-asan/)
#   make tsan       ThreadSanitizer build of the command (build-tsan/, clang + libomp)
#   make fuzz       libFuzzer targets (clang, ASan+UBSan) run FUZZ_SECONDS each (default 10)
#   make MPI=1      MPI-enabled library + CLI in build-mpi/ (mpicc; docs/mpi.md)
# No -ffast-math anywhere: NaN checks and GELU depend on IEEE semantics.

# MPI=1: the same sources plus src/mpi/, compiled with mpicc into build-mpi/; the
# default build contains no MPI at all.
ifeq ($(MPI),1)
CC      := mpicc
BUILD   ?= build-mpi
MPI_DEF := -DSMILE_WITH_MPI
else
CC      ?= cc
BUILD   ?= build
endif
OPT     ?= -O2 -march=native
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
# sqrt and friends need not set errno (nothing reads errno after a math function), so a
# loop that takes a square root can vectorise; no value changes (this is not -ffast-math)
FPFLAGS := -fno-math-errno
BLAS_INC := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIB := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
CFLAGS  += $(CSTD) $(OPT) $(WARN) $(FPFLAGS) -fopenmp -Iinclude -Isrc $(BLAS_INC) $(MPI_DEF) $(EXTRA_CFLAGS)
LDLIBS  += $(BLAS_LIB) -lfftw3 -lcjson -lz -ljpeg -lm -fopenmp

# The library holds float code only. Double-precision model code exists for the
# finite-difference tests alone, in the test-only archive libsmile_fd.a: the nn kernels
# of nn_double.c and the model pass files (src/model/arch_*.c, pass_*.c, written once
# for both precisions) compiled a second time with -DSMILE_MODEL_DOUBLE.
FD_SRC   := src/nn/nn_double.c
FD_TSRC  := $(sort $(wildcard src/model/arch_*.c src/model/pass_*.c))
MPI_SRC  := $(if $(filter 1,$(MPI)),,$(wildcard src/mpi/*.c))
LIB_SRC  := $(filter-out $(FD_SRC) $(MPI_SRC),$(sort $(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
FD_OBJ   := $(FD_SRC:%.c=$(BUILD)/%.o) $(FD_TSRC:%.c=$(BUILD)/fd/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HDRS     := $(wildcard include/*.h) $(wildcard src/*.h src/*/*.h src/*/*.inc tests/*.h cli/*.h)

# The shared library: the same sources compiled a second time, position independent,
# into $(BUILD)/pic/ (libsmile.a and the CLI keep their non-PIC objects). Only the
# public API is exported: the objects default to hidden visibility and the headers
# in include/ mark their declarations default. Version from include/smile.h, soname
# libsmile.so.MAJOR; the dependencies are linked in, so users need only -lsmile.
VERSION  := $(shell sed -n 's/^\#define SMILE_VERSION_\(MAJOR\|MINOR\|PATCH\) *//p' include/smile.h | paste -sd.)
SONAME   := libsmile.so.$(firstword $(subst ., ,$(VERSION)))
SHLIB    := $(BUILD)/libsmile.so.$(VERSION)
SHLINKS  := $(BUILD)/$(SONAME) $(BUILD)/libsmile.so
PIC_OBJ  := $(LIB_SRC:%.c=$(BUILD)/pic/%.o)

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
PCDIR   ?= $(LIBDIR)/pkgconfig
PUB_HDR := $(notdir $(filter-out $(if $(filter 1,$(MPI)),,include/smile_mpi.h),$(wildcard include/*.h)))

.PHONY: all test test-long asan tsan fuzz fuzz-build clean bench install uninstall
all: $(BUILD)/smile $(BUILD)/libsmile.a $(SHLIB) $(SHLINKS)

$(BUILD)/libsmile.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(SHLIB): $(PIC_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $^ $(LDLIBS)

$(BUILD)/$(SONAME): $(SHLIB)
	ln -sfn $(notdir $<) $@

$(BUILD)/libsmile.so: $(BUILD)/$(SONAME)
	ln -sfn $(notdir $<) $@

$(BUILD)/libsmile_fd.a: $(FD_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/smile: $(CLI_OBJ) $(BUILD)/libsmile.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libsmile.a $(LDLIBS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/pic/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/fd/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSMILE_MODEL_DOUBLE -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libsmile_fd.a $(BUILD)/libsmile.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libsmile_fd.a $(BUILD)/libsmile.a $(LDLIBS)

tests: $(TESTS)

# Default tier: every tests/test_*.c binary, then the CLI shell tests.
test: $(TESTS) $(BUILD)/smile $(SHLIB) $(SHLINKS)
	@SMILE_BUILD=$(BUILD) bash tests/run_tests.sh $(TESTS)

test-long: $(TESTS) $(BUILD)/smile $(SHLIB) $(SHLINKS)
	@SMILE_LONG=1 SMILE_BUILD=$(BUILD) bash tests/run_tests.sh $(TESTS)

# Sanitizer build of the whole test suite and the command (ASan + UBSan), into build-asan/.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDLIBS_EXTRA= tests build-asan/smile

# ThreadSanitizer build of the command (clang, LLVM's OpenMP, build-tsan/); run by
# tests/tsan.sh in the long tier (docs/hardening.md).
tsan:
	$(MAKE) BUILD=build-tsan CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=thread $(CLANG_QUIET)" build-tsan/smile

# libFuzzer targets of every parser (tests/fuzz/fuzz_*.c, docs/hardening.md): the
# library built by clang with ASan+UBSan and fuzzer instrumentation into build-fuzz/,
# each target run for FUZZ_SECONDS on its seed corpus tests/fuzz/corpus/<target>/
# (new inputs go to a scratch folder; a crash leaves its reproducer in build-fuzz/).
FUZZ_SECONDS ?= 10
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# clang only: GCC's loop pragmas are unknown to it, and at -O1 it reports the
# `omp simd` loops it does not vectorise; neither is a defect of the code
CLANG_QUIET := -Wno-unknown-pragmas -Wno-pass-failed
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=clang OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link $(CLANG_QUIET)" build-fuzz/libsmile.a
	@mkdir -p build-fuzz/fuzz
	@for f in $(FUZZ_SRC); do t=build-fuzz/fuzz/$$(basename $$f .c); \
	  if [ ! -e $$t ] || [ $$f -nt $$t ] || [ build-fuzz/libsmile.a -nt $$t ]; then \
	    echo "clang $$f -> $$t"; \
	    clang $(CSTD) -O1 -g $(WARN) -fopenmp -Iinclude -Isrc -Itests $(BLAS_INC) $(FUZZ_SAN) \
	      -fsanitize=fuzzer -o $$t $$f build-fuzz/libsmile.a $(LDLIBS) || exit 1; fi; done
fuzz: fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# pkg-config file, written at install time for this PREFIX: the dependencies with a .pc
# file on Debian as Requires.private, the others as Libs.private (`pkg-config --static`).
PC_LINES := 'prefix=$(PREFIX)' 'libdir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))' \
  'includedir=$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCDIR))' '' 'Name: smile' \
  'Description: Stochastic-gradient microcanonical Langevin samplers for Bayesian neural networks' \
  'Version: $(VERSION)' 'Requires.private: openblas fftw3 libcjson zlib libjpeg' \
  'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lsmile' 'Libs.private: -lm -fopenmp'

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR)
	install -m 755 $(BUILD)/smile $(DESTDIR)$(BINDIR)/smile
	install -m 644 $(BUILD)/libsmile.a $(DESTDIR)$(LIBDIR)/libsmile.a
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB))
	ln -sfn $(notdir $(SHLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libsmile.so
	install -m 644 $(PUB_HDR:%=include/%) $(DESTDIR)$(INCDIR)
	printf '%s\n' $(PC_LINES) > $(DESTDIR)$(PCDIR)/smile.pc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/smile $(DESTDIR)$(PCDIR)/smile.pc \
	  $(DESTDIR)$(LIBDIR)/libsmile.a $(DESTDIR)$(LIBDIR)/$(notdir $(SHLIB)) \
	  $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libsmile.so \
	  $(PUB_HDR:%=$(DESTDIR)$(INCDIR)/%)

clean:
	rm -rf build build-asan build-fuzz build-tsan build-mpi
