#ifndef DINO_JPEG_DECODER_H
#define DINO_JPEG_DECODER_H
#include <stddef.h>

/// Decodes a JPEG held in memory to 8-bit pixels, grey (1 channel) or RGB (3), row-major, refusing
/// images whose decoded size would exceed `max_bytes` (a corrupt header cannot force a huge allocation).
/// Returns 0 and sets *pixels (free() it), *width, *height; or returns -1 and writes libjpeg's
/// message into `message`. libjpeg reports errors by a call that must not return, so this small C
/// function catches them with setjmp/longjmp, which Swift cannot do.
int dino_jpeg_decode(const unsigned char *data, size_t size, int channels, size_t max_bytes,
                     unsigned char **pixels, int *width, int *height, char *message, size_t message_size);
#endif
