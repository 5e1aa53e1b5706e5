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
