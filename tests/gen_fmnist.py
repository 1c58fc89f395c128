"""Writes a tiny Fashion-MNIST-like data set (gzipped IDX files) for the CLI
tests: class c draws bright stripes at rows and columns c (mod 10) of 3-pixel
bands over dark noise. Usage: gen_fmnist.py DIR [N_TRAIN N_TEST]."""
import gzip
import os
import random
import struct
import sys

random.seed(0)


def write(d, name, n):
    imgs, labs = bytearray(), bytearray()
    for _ in range(n):
        c = random.randrange(10)
        labs.append(c)
        for r in range(28):
            for q in range(28):
                imgs.append(200 if (r // 3) % 10 == c or (q // 3) % 10 == c else random.randrange(40))
    with gzip.open(os.path.join(d, f"{name}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, 28, 28) + bytes(imgs))
    with gzip.open(os.path.join(d, f"{name}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 2049, n) + bytes(labs))


n_train = int(sys.argv[2]) if len(sys.argv) > 2 else 300
n_test = int(sys.argv[3]) if len(sys.argv) > 3 else 60
write(sys.argv[1], "train", n_train)
write(sys.argv[1], "t10k", n_test)
