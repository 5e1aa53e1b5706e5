// Per-bin math of the fused STFT loss, shared by the CPU and CUDA kernels.
//
// Per row the op returns four sums over (frames, bins), from which Python builds every auraloss term:
//   0: sum (|Y| - |X|)^2      (spectral convergence numerator, squared)
//   1: sum |Y|^2              (spectral convergence denominator, squared)
//   2: sum dist(ln|Y| - ln|X|) (log-magnitude distance)
//   3: sum dist(|Y| - |X|)     (linear-magnitude distance)
// with |X| = sqrt(max(re^2 + im^2, eps)) and dist(u) = |u| ("L1") or u^2 ("L2").
#pragma once

#include <cmath>

#include "core/hostdevice.h"

namespace sonix {

constexpr int kStftLossTerms = 4;

// d dist(u) / du; sign(0) = 0 as torch.abs's gradient.
template <typename T>
SONIX_HD T loss_dist_grad(T u, bool l2) {
  if (l2) return T(2) * u;
  return u > T(0) ? T(1) : (u < T(0) ? T(-1) : T(0));
}

// Gradients of the four sums (weighted by the upstream gradient g[0..3] of the row) with respect to
// the real and imaginary parts of X and Y, as factors cx, cy with dL/dX = cx * X (torch's complex
// gradient convention). px_raw, py_raw: re^2 + im^2; l: ln|Y| - ln|X| of the clamped magnitudes
// (the caller's log). The clamp passes the gradient where re^2 + im^2 > eps, as torch.clamp does.
template <typename T>
SONIX_HD void stft_loss_bin_grad(T px_raw, T py_raw, T l, T eps, bool l2, const T* g, T& cx, T& cy) {
  const T px = px_raw < eps ? eps : px_raw;
  const T py = py_raw < eps ? eps : py_raw;
  const T mx = std::sqrt(px), my = std::sqrt(py);
  const T d = my - mx;
  const T gl = g[2] * loss_dist_grad(l, l2), gd = g[3] * loss_dist_grad(d, l2);
  const T gmx = -T(2) * g[0] * d - gl / mx - gd;
  const T gmy = T(2) * g[0] * d + T(2) * g[1] * my + gl / my + gd;
  cx = px_raw > eps ? gmx / mx : T(0);
  cy = py_raw > eps ? gmy / my : T(0);
}

}  // namespace sonix
