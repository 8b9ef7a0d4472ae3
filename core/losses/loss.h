/* Losses by their Keras names. Each evaluates the batch mean loss of outputs
 * y against targets t and writes dL/dy (scaled by 1/batch, so gradients are
 * those of the mean). With fused set the output layer's activation is the
 * loss' partner (softmax for the categorical ones, sigmoid for binary) and
 * the gradient is taken with respect to its input instead: y - t, which is
 * exact where the chained form would divide by a tiny probability. */
#ifndef LUNET_LOSS_H
#define LUNET_LOSS_H

#include <stdint.h>

typedef enum {
  LUNET_LOSS_CATEGORICAL_CROSSENTROPY, LUNET_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
  LUNET_LOSS_BINARY_CROSSENTROPY, LUNET_LOSS_MEAN_SQUARED_ERROR, LUNET_LOSS_MEAN_ABSOLUTE_ERROR
} lunet_loss_t;

/* Parses a Keras name or alias ('mse', 'mae'); -1 naming where otherwise. */
int lunet_loss_parse(lunet_loss_t *out, const char *name, const char *where);
const char *lunet_loss_name(lunet_loss_t loss);
/* 1 when the targets are class indices (one per sample) rather than (B, n) */
int lunet_loss_sparse(lunet_loss_t loss);

/* *loss = mean loss; grad (B, n) = dL/dy (or dL/d pre-activation when fused).
 * y (B, n); t (B, n), or (B) class indices for the sparse loss (an index out
 * of range gives -1 and a message). */
int lunet_loss_eval(lunet_loss_t kind, double *loss, float *grad, const float *y, const float *t,
                    int64_t batch, int64_t n, int fused);

/* the per-kind kernels behind lunet_loss_eval */
double lunet_loss_crossentropy(float *grad, const float *y, const float *t, int64_t batch, int64_t n,
                               int fused);
int lunet_loss_sparse_crossentropy(double *loss, float *grad, const float *y, const float *t,
                                   int64_t batch, int64_t n, int fused);
double lunet_loss_binary_crossentropy(float *grad, const float *y, const float *t, int64_t batch,
                                      int64_t n, int fused);
double lunet_loss_mse(float *grad, const float *y, const float *t, int64_t batch, int64_t n);
double lunet_loss_mae(float *grad, const float *y, const float *t, int64_t batch, int64_t n);

#endif
