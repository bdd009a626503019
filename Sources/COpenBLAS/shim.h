// The C interface of OpenBLAS: `cblas_sgemm` for every matrix product and
// `openblas_set_num_threads`, since this library splits work across cores itself.
#include <cblas.h>
