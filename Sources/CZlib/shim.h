// zlib: gzopen/gzread decompress the gzipped IDX files of Fashion-MNIST.
#include <zlib.h>
