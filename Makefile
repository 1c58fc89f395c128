# smile: build with `make`; the command lands at build/smile.
#   make            library build/libsmile.a + CLI build/smile
#   make test       unit + statistical tests (default tier, < 5 min) incl. ASan+UBSan build
#   make test-long  longer statistical tests
#   make asan       sanitizer build of the tests (build-asan/)
# No -ffast-math anywhere: NaN checks and GELU depend on IEEE semantics.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -march=native
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wno-unused-parameter
BLAS_INC := $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIB := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
CFLAGS  += $(CSTD) $(OPT) $(WARN) -fopenmp -Iinclude -Isrc $(BLAS_INC) $(EXTRA_CFLAGS)
LDLIBS  += $(BLAS_LIB) -lfftw3 -lcjson -lz -ljpeg -lm -fopenmp

# The library holds float code only. Double-precision model code exists for the
# finite-difference tests alone, in the test-only archive libsmile_fd.a: the nn kernels
# of nn_double.c and the model pass files (src/model/arch_*.c, pass_*.c, written once
# for both precisions) compiled a second time with -DSMILE_MODEL_DOUBLE.
FD_SRC   := src/nn/nn_double.c
FD_TSRC  := $(sort $(wildcard src/model/arch_*.c src/model/pass_*.c))
LIB_SRC  := $(filter-out $(FD_SRC),$(sort $(wildcard src/*/*.c)))
CLI_SRC  := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
FD_OBJ   := $(FD_SRC:%.c=$(BUILD)/%.o) $(FD_TSRC:%.c=$(BUILD)/fd/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HDRS     := $(wildcard include/*.h) $(wildcard src/*.h src/*/*.h src/*/*.inc tests/*.h cli/*.h)

.PHONY: all test test-long asan clean bench
all: $(BUILD)/smile $(BUILD)/libsmile.a

$(BUILD)/libsmile.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libsmile_fd.a: $(FD_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/smile: $(CLI_OBJ) $(BUILD)/libsmile.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libsmile.a $(LDLIBS)

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/fd/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DSMILE_MODEL_DOUBLE -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libsmile_fd.a $(BUILD)/libsmile.a $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libsmile_fd.a $(BUILD)/libsmile.a $(LDLIBS)

tests: $(TESTS)

# Default tier: every tests/test_*.c binary, then the CLI shell tests.
test: $(TESTS) $(BUILD)/smile
	@SMILE_BUILD=$(BUILD) bash tests/run_tests.sh $(TESTS)

test-long: $(TESTS) $(BUILD)/smile
	@SMILE_LONG=1 SMILE_BUILD=$(BUILD) bash tests/run_tests.sh $(TESTS)

# Sanitizer build of the whole test suite (ASan + UBSan), into build-asan/.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDLIBS_EXTRA= tests

clean:
	rm -rf build build-asan
