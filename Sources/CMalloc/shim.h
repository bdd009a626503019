// glibc's mallopt, to keep freed large blocks for reuse (see Parallel.configureBLASOnce).
#include <malloc.h>
