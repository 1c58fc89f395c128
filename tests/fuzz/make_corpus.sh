#!/usr/bin/env bash
# (Re)creates the seed corpora tests/fuzz/corpus/<target>/ (a few KB each):
# small valid inputs of every format and a few near-misses. Needs build/smile,
# build/libsmile.a (make) and the airfoil file ($SMILE_DATA). Crash
# reproducers added by hand (names starting with crash-) are kept.
set -eu
cd "$(dirname "$0")/../.."
C=tests/fuzz/corpus
DATA="${SMILE_DATA:-../shared/data}/airfoil/airfoil.data"
for t in table uci idx cifar tar jpeg text npy json ckpt; do
  mkdir -p "$C/$t"; find "$C/$t" -type f ! -name 'crash-*' -delete
done
# jpeg and ckpt seeds from the library itself
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -Iinclude -Isrc -Itests -o build/fuzz_seeds \
  tests/fuzz/seeds.c build/libsmile.a $(pkg-config --libs openblas) -lfftw3 -lcjson -lz -ljpeg -lm -fopenmp
build/fuzz_seeds "$C/jpeg" "$C/ckpt"
# a small run's JSON files
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
build/smile fit --task uci --data "$DATA" --members 2 --warmup 20 --samples 20 --thin 10 \
  --de-epochs 1 --quiet --out "$tmp/r" >/dev/null
for f in config model metrics run layout; do cp "$tmp/r/$f.json" "$C/json/$f.json"; done
cp "$tmp/r/samples/member_0.npy" "$C/npy/member_0.npy"
python3 - "$C" "$DATA" <<'PY'
import io, os, struct, sys, tarfile
C, data = sys.argv[1], sys.argv[2]
def w(t, name, b):
    with open(os.path.join(C, t, name), "wb") as f: f.write(b)
rows = open(data).read().splitlines()[:12]
w("uci", "airfoil12.data", ("\n".join(rows) + "\n").encode())
w("uci", "tabs.data", b"1\t2\t3\n4\t5\t6\n7\t8\t9.5\n1e308 2 3\n")
w("table", "header.csv", b"a,b,name,y\n1,2,x,0.5\n3,4,y,1.5\n5,,x,2\n7,8,\"q,z\",NA\n")
w("table", "semicolon.csv", b"p;q;label\n1,5;2;cat\n3;4;dog\n5;6;cat\n")
w("table", "blank.txt", b"1 2 3\n4 5 6\n7 8 9\n")
w("table", "quoted.tsv", b"\"x\"\t\"y\"\n\"1\"\t\"a\"\"b\"\n2\tc\n")
img = struct.pack(">IIII", 0x803, 2, 28, 28) + bytes(range(256)) * 6 + bytes(2 * 784 - 1536)
w("idx", "images_plain", b"\x00" + img)
w("idx", "images_gz", b"\x01" + img)
w("idx", "labels", b"\x00" + struct.pack(">II", 0x801, 2) + b"\x03\x07")
w("cifar", "two_records.bin", bytes([3]) + bytes(range(256)) * 12 + bytes(3072 - 3072) +
  bytes([9]) + bytes(3072))
def tarbytes(fmt, names):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for n, content in names:
            i = tarfile.TarInfo(n); i.size = len(content); t.addfile(i, io.BytesIO(content))
        d = tarfile.TarInfo("dir/"); d.type = tarfile.DIRTYPE; t.addfile(d)
    return b.getvalue()
long = "imagenette2-160/train/n01440764/" + "x" * 120 + ".JPEG"
w("tar", "ustar", b"\x00" + tarbytes(tarfile.USTAR_FORMAT, [("a/b.bin", b"hello")]))
w("tar", "gnu_long_gz", b"\x01" + tarbytes(tarfile.GNU_FORMAT, [(long, b"\xff\xd8jpeg")]))
w("tar", "pax", b"\x00" + tarbytes(tarfile.PAX_FORMAT, [(long, b"data" * 10), ("p\u00e9.txt", b"")]))
w("text", "ascii", b"To be, or not to be, that is the question:\nWhether 'tis nobler\n" * 2 + b"To be")
w("text", "utf8", "Grüße, ça va? — naïve café ☕ 日本語\n".encode() * 3 + b"\xc3\xa9t\xc3\xa9")
w("text", "invalid", b"abc\xff\xfe def \xc3 ghi\n" * 4)
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
hdr = hdr + " " * (118 - len(hdr)) + "\n"
w("npy", "f4_2x3.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() +
  struct.pack("<6f", 1, 2, 3, 4, 5, 6))
PY
du -sh "$C"/* | sed 's/^/corpus /'
