/* What the 2-D convolution kinds share (Conv2D, DepthwiseConv2D,
 * SeparableConv2D, Conv2DTranspose): the geometry of a strided, dilated,
 * zero-padded window over channels-last images (N, H, W, C), im2col / col2im
 * in a group-major layout, the grouped sgemms of a convolution (one per
 * group over the whole batch) and the config keys they all read, with Keras'
 * output sizes (conv_utils.conv_output_length). */
#ifndef LUNET_CONV_GEOM_H
#define LUNET_CONV_GEOM_H

#include <stdint.h>

#include "config.h"
#include "layer.h"

typedef struct lunet_conv_geom {
  int64_t h, w, c;  /* the image the window slides over (H, W, C) */
  int64_t oh, ow;   /* the window's positions (the convolution's output) */
  int kh, kw, sh, sw, dh, dw, pt, pl; /* kernel, strides, dilation, top / left padding */
  int groups;       /* channels split into groups of C / groups, filters likewise (Keras' groups) */
  float *plane;     /* (H*W*C) owned by the layer, planned when lunet_conv_wants_plane: one sample's image
                       channel by channel, so a depthwise im2col reads rows, not one value per pixel */
} lunet_conv_geom_t;

/* 1 when im2col / col2im use g->plane (one channel a group: depthwise). */
int lunet_conv_wants_plane(const lunet_conv_geom_t *g);

/* The options every convolution kind reads: kernel_size, strides,
 * dilation_rate, padding, activation, use_bias. */
typedef struct lunet_conv_opts {
  int kh, kw, sh, sw, dh, dw, same, use_bias;
  lunet_act_t act;
} lunet_conv_opts_t;

/* Reads them from cfg; -1 with the getter's message. */
int lunet_conv_opts_read(const lunet_layer_config_t *cfg, lunet_conv_opts_t *o);

/* g = the window of o over images in_shape (H, W, C) split into groups
 * (groups divides C: the caller checked), Keras' output size and 'same'
 * padding. -1 with a message naming name when the input is not an image or
 * is smaller than the (dilated) kernel with 'valid'. */
int lunet_conv_geom_set(lunet_conv_geom_t *g, const char *name, int in_ndim, const int64_t *in_shape,
                        const lunet_conv_opts_t *o, int groups);

/* Keras' output length of a convolution over n with a kernel of k taps
 * dilated by d, stride s ('same': ceil(n / s)), and its leading padding;
 * 0 when 'valid' and n is smaller than the dilated kernel. */
int64_t lunet_conv_out_length(int64_t n, int k, int s, int d, int same, int *pad);

/* Taps per group and window position: KH * KW * C / groups. */
int64_t lunet_conv_taps(const lunet_conv_geom_t *g);

/* cols (groups, B*OH*OW, taps) from in (B, H, W, C): group k's columns hold
 * channels [k C/g, (k+1) C/g) of every tap; taps outside the image are 0. */
void lunet_conv_im2col(const lunet_conv_geom_t *g, float *cols, const float *in, int batch);
/* img (B, H, W, C) = the sum of the cols (groups, B*OH*OW, taps) entries
 * that read each pixel (written over img). */
void lunet_conv_col2im(const lunet_conv_geom_t *g, float *img, const float *cols, int batch);

/* The grouped products, f the filters (out channels, F/groups a group), P =
 * B*OH*OW; the kernel w is (taps, F) as Keras' (KH, KW, C/groups, F). */
/* z (P, F) = cols @ w per group, + beta * z (beta 1: z holds the bias) */
void lunet_conv_gemm_forward(const lunet_conv_geom_t *g, float *z, const float *cols, const float *w, int64_t f,
                             int batch, float beta);
/* dw (taps, F) = cols^T @ dz (P, F) per group, + beta * dw */
void lunet_conv_gemm_weights(const lunet_conv_geom_t *g, float *dw, const float *cols, const float *dz, int64_t f,
                             int batch, float beta);
/* dcols (groups, P, taps) = dz (P, F) @ w^T per group */
void lunet_conv_gemm_input(const lunet_conv_geom_t *g, float *dcols, const float *dz, const float *w, int64_t f,
                           int batch);

/* z (rows, f) = the bias b (f) on every row; db (f) (+)= the column sums of
 * dz (rows, f) (add: keep what db holds). */
void lunet_conv_bias_fill(float *z, const float *b, int64_t rows, int64_t f);
void lunet_conv_bias_grad(float *db, const float *dz, int64_t rows, int64_t f, int add);

#endif
