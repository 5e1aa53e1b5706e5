// Per-element math of the Snake family, shared by the CPU and CUDA kernels of every op that applies it
// (snake, and the fused anti-aliased activation).
//
//   y = x + inv_b * sin(a * x)^2,  inv_b = 1 / (b + eps)
//
// Snake (DAC, BigVGAN) is b = a; SnakeBeta (BigVGAN) has its own b. With log-scale parameters the
// caller passes a = exp(alpha), b = exp(beta). sin^2 is written as (1 - cos(2ax)) / 2 where that saves
// work in the derivative: d/dx sin^2(ax) = a * sin(2ax).
#pragma once

#include <cmath>

#include "core/hostdevice.h"

namespace sonix {

// The epsilon BigVGAN and DAC add to the denominator, so a = 0 (or b = 0) gives a finite result.
constexpr float kSnakeEps = 1e-9f;

template <typename T>
SONIX_HD T snake_value(T x, T a, T inv_b) {
  const T s = sin(a * x);
  return x + inv_b * s * s;
}

// Partial derivatives of y with respect to x, a and inv_b at one element. The caller chains d/d(inv_b)
// to b (-inv_b^2) and to the log-scale parameter if it uses one.
template <typename T>
struct SnakePartials {
  T dx;
  T da;
  T dinv_b;
};

template <typename T>
SONIX_HD SnakePartials<T> snake_partials(T x, T a, T inv_b) {
  const T s = sin(a * x);
  const T s2ax = sin(T(2) * a * x);
  return {T(1) + inv_b * a * s2ax, inv_b * x * s2ax, s * s};
}

}  // namespace sonix

namespace sonix {

// Per-channel constants of the Snake family from the module parameters: a = alpha (exp(alpha) with
// log-scale parameters), b = beta (SnakeBeta) or a (Snake), inv_b = 1 / (b + eps).
template <typename T>
struct SnakeChannel {
  T a;
  T b;
  T inv_b;
};

template <typename T>
SONIX_HD SnakeChannel<T> snake_channel(T alpha, T beta, bool has_beta, bool logscale) {
  const T a = logscale ? exp(alpha) : alpha;
  const T b = has_beta ? (logscale ? exp(beta) : beta) : a;
  return {a, b, T(1) / (b + T(kSnakeEps))};
}

// Chain rule from the per-channel sums of the upstream gradient g,
//   sum_a = sum g * x * sin(2ax)  (so dL/da = inv_b * sum_a),  sum_b = sum g * sin(ax)^2  (= dL/d inv_b),
// to the module parameters. Without beta, b = a and both paths land on alpha.
template <typename T>
SONIX_HD void snake_param_grads(const SnakeChannel<T>& ch, bool has_beta, bool logscale, T sum_a, T sum_b,
                                T* grad_alpha, T* grad_beta) {
  const T dl_da = ch.inv_b * sum_a;
  const T dl_db = -ch.inv_b * ch.inv_b * sum_b;
  if (has_beta) {
    *grad_alpha = dl_da * (logscale ? ch.a : T(1));
    *grad_beta = dl_db * (logscale ? ch.b : T(1));
  } else {
    *grad_alpha = (dl_da + dl_db) * (logscale ? ch.a : T(1));
  }
}

}  // namespace sonix
