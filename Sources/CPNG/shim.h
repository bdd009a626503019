// libpng, used through its simplified API (png_image_*), which needs no setjmp.
#include <png.h>
