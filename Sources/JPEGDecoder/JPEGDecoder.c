#include "JPEGDecoder.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

struct error_manager {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

static void error_exit(j_common_ptr info) {
    struct error_manager *errors = (struct error_manager *)info->err;
    (*info->err->format_message)(info, errors->message);
    longjmp(errors->jump, 1);
}

static void ignore_message(j_common_ptr info) { (void)info; }  /* warnings would go to stderr */

int dino_jpeg_decode(const unsigned char *data, size_t size, int channels, size_t max_bytes,
                     unsigned char **pixels, int *width, int *height, char *message, size_t message_size) {
    struct jpeg_decompress_struct decoder;
    struct error_manager errors;
    unsigned char *volatile output = NULL;
    decoder.err = jpeg_std_error(&errors.manager);
    errors.manager.error_exit = error_exit;
    errors.manager.output_message = ignore_message;
    if (setjmp(errors.jump)) {
        snprintf(message, message_size, "%s", errors.message);
        jpeg_destroy_decompress(&decoder);
        free(output);
        return -1;
    }
    jpeg_create_decompress(&decoder);
    jpeg_mem_src(&decoder, data, (unsigned long)size);
    jpeg_read_header(&decoder, TRUE);
    decoder.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&decoder);
    if (decoder.output_width == 0 || decoder.output_height == 0 || decoder.output_width > 16384 || decoder.output_height > 16384
        || (size_t)decoder.output_width * decoder.output_height * (size_t)decoder.output_components > max_bytes) {
        snprintf(message, message_size, "image size %ux%u is outside 1…16384 or more than the file can hold",
                 decoder.output_width, decoder.output_height);
        jpeg_destroy_decompress(&decoder);
        return -1;
    }
    size_t stride = (size_t)decoder.output_width * (size_t)decoder.output_components;
    output = malloc(stride * decoder.output_height);
    if (output == NULL) {
        snprintf(message, message_size, "out of memory");
        jpeg_destroy_decompress(&decoder);
        return -1;
    }
    while (decoder.output_scanline < decoder.output_height) {
        unsigned char *row = output + stride * decoder.output_scanline;
        jpeg_read_scanlines(&decoder, &row, 1);
    }
    jpeg_finish_decompress(&decoder);
    *width = (int)decoder.output_width;
    *height = (int)decoder.output_height;
    *pixels = output;
    jpeg_destroy_decompress(&decoder);
    return 0;
}
