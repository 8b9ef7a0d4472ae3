/* The convolution kinds' shared geometry, im2col / col2im and grouped
 * sgemms (see conv_geom.h). im2col copies whole rows of KW taps when they
 * are contiguous in the image (one group, no horizontal dilation): the plain
 * Conv2D keeps its one-memcpy-per-kernel-row speed. */
#include "conv_geom.h"

#include <stdio.h>
#include <string.h>

#include "blas.h"
#include "common.h"
#include "tensor.h"

int lunet_conv_opts_read(const lunet_layer_config_t *cfg, lunet_conv_opts_t *o) {
  return lunet_config_activation(cfg, &o->act) < 0 || lunet_config_padding(cfg, &o->same) < 0 ||
                 lunet_config_size_pair(cfg, "kernel_size", 0, &o->kh, &o->kw) < 0 ||
                 lunet_config_size_pair(cfg, "strides", 1, &o->sh, &o->sw) < 0 ||
                 lunet_config_size_pair(cfg, "dilation_rate", 1, &o->dh, &o->dw) < 0 ||
                 lunet_config_boolean(cfg, "use_bias", 1, &o->use_bias) < 0
             ? -1
             : 0;
}

int64_t lunet_conv_out_length(int64_t n, int k, int s, int d, int same, int *pad) {
  int64_t keff = (int64_t)(k - 1) * d + 1;
  if (same) {
    int64_t o = (n + s - 1) / s, total = (o - 1) * s + keff - n;
    *pad = total > 0 ? (int)(total / 2) : 0;
    return o;
  }
  *pad = 0;
  return n >= keff ? (n - keff) / s + 1 : 0;
}

int lunet_conv_geom_set(lunet_conv_geom_t *g, const char *name, int in_ndim, const int64_t *in_shape,
                        const lunet_conv_opts_t *o, int groups) {
  char have[LUNET_SHAPE_STR_MAX];
  if (in_ndim != 3)
    return lunet_fail("%s: input must be images (height, width, channels), got per-sample shape %s", name,
                      lunet_shape_str(have, sizeof have, in_ndim, in_shape));
  int64_t taps;
  if (__builtin_mul_overflow((int64_t)o->kh * o->kw, in_shape[2] / groups, &taps) || taps > LUNET_MAX_SIZE)
    return lunet_fail("%s: kernel height x width x channels must be at most %lld", name, (long long)LUNET_MAX_SIZE);
  *g = (lunet_conv_geom_t){.h = in_shape[0], .w = in_shape[1], .c = in_shape[2], .kh = o->kh, .kw = o->kw,
                           .sh = o->sh, .sw = o->sw, .dh = o->dh, .dw = o->dw, .groups = groups};
  g->oh = lunet_conv_out_length(g->h, o->kh, o->sh, o->dh, o->same, &g->pt);
  g->ow = lunet_conv_out_length(g->w, o->kw, o->sw, o->dw, o->same, &g->pl);
  if (g->oh < 1 || g->ow < 1)
    return lunet_fail("%s: input %s is smaller than the kernel%s with padding 'valid'", name,
                      lunet_shape_str(have, sizeof have, in_ndim, in_shape),
                      o->dh > 1 || o->dw > 1 ? " (dilated)" : "");
  return 0;
}

int64_t lunet_conv_taps(const lunet_conv_geom_t *g) { return (int64_t)g->kh * g->kw * (g->c / g->groups); }

/* The fast case: one group, no horizontal dilation; a kernel row is KW*C
 * contiguous values of the image. cols (P, KH*KW*C). */
static void im2col_rows(const lunet_conv_geom_t *g, float *cols, const float *in, int batch) {
  int64_t c = g->c, rowlen = g->kw * c;
  float *dst = cols;
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * g->h * g->w * c;
    for (int64_t oy = 0; oy < g->oh; oy++)
      for (int64_t ox = 0; ox < g->ow; ox++) {
        int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
        int inside_x = x0 >= 0 && x0 + g->kw <= g->w;
        for (int i = 0; i < g->kh; i++, dst += rowlen) {
          int64_t y = y0 + (int64_t)i * g->dh;
          if (y < 0 || y >= g->h) { memset(dst, 0, (size_t)rowlen * sizeof *dst); continue; }
          const float *src = img + (y * g->w + x0) * c;
          if (inside_x) { memcpy(dst, src, (size_t)rowlen * sizeof *dst); continue; }
          for (int j = 0; j < g->kw; j++) {
            int64_t x = x0 + j;
            if (x < 0 || x >= g->w) memset(dst + j * c, 0, (size_t)c * sizeof *dst);
            else memcpy(dst + j * c, src + j * c, (size_t)c * sizeof *dst);
          }
        }
      }
  }
}

int lunet_conv_wants_plane(const lunet_conv_geom_t *g) { return g->groups > 1 && g->groups == g->c; }

/* dst (m, n) = src (n, m) transposed, in blocks of 16 x 16 so both sides
 * stream through whole cache lines */
static void transpose(float *dst, const float *src, int64_t n, int64_t m) {
  enum { T = 16 };
  for (int64_t i0 = 0; i0 < n; i0 += T)
    for (int64_t j0 = 0; j0 < m; j0 += T) {
      int64_t i1 = i0 + T < n ? i0 + T : n, j1 = j0 + T < m ? j0 + T : m;
      for (int64_t j = j0; j < j1; j++)
        for (int64_t i = i0; i < i1; i++) dst[j * n + i] = src[i * m + j];
    }
}

/* Depthwise (one channel a group): each sample's image is first transposed
 * to (C, H, W) in g->plane, so a window row is read from one channel's
 * contiguous row. cols (C, B*OH*OW, KH*KW). */
static void im2col_planes(const lunet_conv_geom_t *g, float *cols, const float *in, int batch) {
  int64_t c = g->c, hw = g->h * g->w, taps = lunet_conv_taps(g), p = batch * g->oh * g->ow, per = g->oh * g->ow;
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * hw * c;
    transpose(g->plane, img, hw, c);
    for (int64_t k = 0; k < c; k++) {
      const float *pl = g->plane + k * hw;
      float *dst = cols + (k * p + b * per) * taps;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
          int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
          int inside = y0 >= 0 && y0 + (int64_t)(g->kh - 1) * g->dh < g->h && x0 >= 0 &&
                       x0 + (int64_t)(g->kw - 1) * g->dw < g->w;
          for (int i = 0; i < g->kh; i++) {
            int64_t y = y0 + (int64_t)i * g->dh;
            const float *row = pl + y * g->w;
            if (inside)
              for (int j = 0; j < g->kw; j++) *dst++ = row[x0 + (int64_t)j * g->dw];
            else
              for (int j = 0; j < g->kw; j++) {
                int64_t x = x0 + (int64_t)j * g->dw;
                *dst++ = y < 0 || y >= g->h || x < 0 || x >= g->w ? 0.0f : row[x];
              }
          }
        }
    }
  }
}

/* col2im's depthwise case: taps summed into g->plane (C, H, W), then
 * transposed back onto the sample's (H, W, C) image. */
static void col2im_planes(const lunet_conv_geom_t *g, float *img, const float *cols, int batch) {
  int64_t c = g->c, hw = g->h * g->w, taps = lunet_conv_taps(g), p = batch * g->oh * g->ow, per = g->oh * g->ow;
  for (int b = 0; b < batch; b++) {
    memset(g->plane, 0, (size_t)(hw * c) * sizeof *g->plane);
    for (int64_t k = 0; k < c; k++) {
      float *pl = g->plane + k * hw;
      const float *src = cols + (k * p + b * per) * taps;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
          int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
          for (int i = 0; i < g->kh; i++) {
            int64_t y = y0 + (int64_t)i * g->dh;
            float *row = pl + y * g->w;
            for (int j = 0; j < g->kw; j++, src++) {
              int64_t x = x0 + (int64_t)j * g->dw;
              if (y >= 0 && y < g->h && x >= 0 && x < g->w) row[x] += *src;
            }
          }
        }
    }
    float *im = img + b * hw * c;
    transpose(im, g->plane, c, hw);
  }
}

void lunet_conv_im2col(const lunet_conv_geom_t *g, float *cols, const float *in, int batch) {
  if (g->groups == 1 && g->dw == 1) { im2col_rows(g, cols, in, batch); return; }
  if (lunet_conv_wants_plane(g)) { im2col_planes(g, cols, in, batch); return; }
  int64_t c = g->c, cg = c / g->groups, taps = lunet_conv_taps(g), p = batch * g->oh * g->ow, per = g->oh * g->ow;
  /* sample by sample, group by group: each group's rows are written in order (one stream, not one per group)
   * while the sample's image stays in cache */
  for (int b = 0; b < batch; b++) {
    const float *img = in + b * g->h * g->w * c;
    for (int k = 0; k < g->groups; k++) {
      float *dst = cols + (k * p + b * per) * taps;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
          int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
          for (int i = 0; i < g->kh; i++) {
            int64_t y = y0 + (int64_t)i * g->dh;
            for (int j = 0; j < g->kw; j++, dst += cg) {
              int64_t x = x0 + (int64_t)j * g->dw;
              if (y < 0 || y >= g->h || x < 0 || x >= g->w) { memset(dst, 0, (size_t)cg * sizeof *dst); continue; }
              const float *src = img + (y * g->w + x) * c + k * cg;
              if (cg == 1) *dst = *src; /* (a single-channel image with dilation) */
              else memcpy(dst, src, (size_t)cg * sizeof *dst);
            }
          }
        }
    }
  }
}

void lunet_conv_col2im(const lunet_conv_geom_t *g, float *img, const float *cols, int batch) {
  if (lunet_conv_wants_plane(g)) { col2im_planes(g, img, cols, batch); return; }
  int64_t c = g->c, cg = c / g->groups, taps = lunet_conv_taps(g), p = batch * g->oh * g->ow, per = g->oh * g->ow;
  memset(img, 0, (size_t)(batch * g->h * g->w * c) * sizeof *img);
  for (int b = 0; b < batch; b++) {
    float *im = img + b * g->h * g->w * c;
    for (int k = 0; k < g->groups; k++) {
      const float *src = cols + (k * p + b * per) * taps;
      for (int64_t oy = 0; oy < g->oh; oy++)
        for (int64_t ox = 0; ox < g->ow; ox++) {
          int64_t y0 = oy * g->sh - g->pt, x0 = ox * g->sw - g->pl;
          for (int i = 0; i < g->kh; i++) {
            int64_t y = y0 + (int64_t)i * g->dh;
            if (y < 0 || y >= g->h) { src += g->kw * cg; continue; }
            for (int j = 0; j < g->kw; j++, src += cg) {
              int64_t x = x0 + (int64_t)j * g->dw;
              if (x < 0 || x >= g->w) continue;
              float *dst = im + (y * g->w + x) * c + k * cg;
              for (int64_t q = 0; q < cg; q++) dst[q] += src[q];
            }
          }
        }
    }
  }
}

/* Group k's kernel is the columns [k F/g, (k+1) F/g) of w (taps, F): a
 * sub-matrix with row stride F, as are its outputs' columns in z (P, F); its
 * columns (P, taps) are block k of cols. One product per group: c_k = op(a_k)
 * op(b_k) + beta c_k, where X_k starts at X + k * X_step. */
static void group_gemm(const lunet_conv_geom_t *g, int ta, int tb, int64_t m, int64_t n, int64_t kk, const float *a,
                       int64_t a_step, int64_t lda, const float *b, int64_t b_step, int64_t ldb, float beta, float *c,
                       int64_t c_step, int64_t ldc) {
  for (int k = 0; k < g->groups; k++)
    lunet_blas_sgemm(ta, tb, (int)m, (int)n, (int)kk, 1.0f, a + k * a_step, (int)lda, b + k * b_step, (int)ldb, beta,
                     c + k * c_step, (int)ldc);
}

void lunet_conv_gemm_forward(const lunet_conv_geom_t *g, float *z, const float *cols, const float *w, int64_t f,
                             int batch, float beta) {
  int64_t p = batch * g->oh * g->ow, taps = lunet_conv_taps(g), fg = f / g->groups;
  group_gemm(g, 0, 0, p, fg, taps, cols, p * taps, taps, w, fg, f, beta, z, fg, f);
}

void lunet_conv_gemm_weights(const lunet_conv_geom_t *g, float *dw, const float *cols, const float *dz, int64_t f,
                             int batch, float beta) {
  int64_t p = batch * g->oh * g->ow, taps = lunet_conv_taps(g), fg = f / g->groups;
  group_gemm(g, 1, 0, taps, fg, p, cols, p * taps, taps, dz, fg, f, beta, dw, fg, f);
}

void lunet_conv_gemm_input(const lunet_conv_geom_t *g, float *dcols, const float *dz, const float *w, int64_t f,
                           int batch) {
  int64_t p = batch * g->oh * g->ow, taps = lunet_conv_taps(g), fg = f / g->groups;
  group_gemm(g, 0, 1, p, taps, fg, dz, fg, f, w, fg, f, 0.0f, dcols, p * taps, taps);
}

void lunet_conv_bias_fill(float *z, const float *b, int64_t rows, int64_t f) {
  for (int64_t r = 0; r < rows; r++) memcpy(z + r * f, b, (size_t)f * sizeof *z);
}

void lunet_conv_bias_grad(float *db, const float *dz, int64_t rows, int64_t f, int add) {
  if (!add) memset(db, 0, (size_t)f * sizeof *db);
  for (int64_t r = 0; r < rows; r++)
    for (int64_t j = 0; j < f; j++) db[j] += dz[r * f + j];
}
