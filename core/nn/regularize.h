/* Keras weight regularizers, activity regularizers and weight constraints of
 * a layer (Dense, Conv2D), as tf.keras 2.x: a regularizer adds
 * l1 sum |v| + l2 sum v^2 to the loss (an activity regularizer's penalty on
 * the layer's output is divided by the batch size), its gradient joins the
 * step's; a constraint projects the weights after every optimizer step. The
 * net (net.c) calls these around each layer's backward, after evaluate's
 * loss and after the optimizer step; nothing here allocates in a step. */
#ifndef LUNET_REGULARIZE_H
#define LUNET_REGULARIZE_H

#include "config.h"
#include "layer.h"

/* Reads a Dense / Conv2D config's weight options into l, whose kernel and
 * bias shapes (l->kernel, l->bias) are set: the records (nested tables,
 * flattened by the binding into "record.key" entries, see config.h)
 * kernel_regularizer, bias_regularizer, activity_regularizer {l1=, l2=} and
 * kernel_constraint, bias_constraint {name = 'max_norm' | 'non_neg' |
 * 'unit_norm' | 'min_max_norm', max_value=, min_value=, rate=, axis = an
 * axis or a list of axes, Keras' 0-based, negative from the end}; a layer
 * with a recurrent kernel (l->recurrent.n > 0) also recurrent_regularizer
 * and recurrent_constraint, any other refuses them. Allocates
 * a constraint's norm scratch (freed by lunet_layer_free). -1 with a message
 * naming the layer, the option and the value. */
int lunet_reg_config(lunet_layer_t *l, const lunet_layer_config_t *cfg);
/* The same with the kernels' options named as the kind names its kernels
 * (DepthwiseConv2D: "depthwise" -> depthwise_regularizer, ...): kernel for
 * l->kernel and, unless NULL, kernel2 for l->kernel2 (SeparableConv2D's
 * "pointwise"). lunet_reg_config is (l, cfg, "kernel", NULL). */
int lunet_reg_config_named(lunet_layer_t *l, const lunet_layer_config_t *cfg, const char *kernel,
                           const char *kernel2);

/* 1 when r adds anything. */
int lunet_reg_active(const lunet_reg_t *r);

/* l's backward (ops->backward, same arguments) with its regularizers: the
 * activity penalty's gradient is added to dout (B, out_size) first, the
 * weight penalties' gradients to l's gradients after; *loss += the
 * penalties. */
void lunet_reg_backward(lunet_layer_t *l, double *loss, float *din, float *dout, const float *in,
                        const float *out, int batch);

/* The penalties of l's weights and of its output out (B, out_size), without
 * gradients (evaluate). */
double lunet_reg_penalty(const lunet_layer_t *l, const float *out, int batch);

/* Applies l's kernel and bias constraints to its parameters, in place. */
void lunet_reg_constrain(lunet_layer_t *l);

#endif
