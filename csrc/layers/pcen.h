// Per-element math of PCEN (per-channel energy normalisation), shared by the CPU and CUDA kernels.
//
//   M[t] = (1 - s) M[t-1] + s E[t]
//   out  = (E (eps + M)^-alpha + delta)^r - delta^r = delta^r expm1(r log1p(E (eps + M)^-alpha / delta))
//
// The expm1 / log1p form (librosa's) keeps relative accuracy when E (eps + M)^-alpha << delta.
#pragma once

#include <cmath>

#include "core/hostdevice.h"

namespace sonix {

template <typename T>
struct PcenChannel {
  T s, alpha, delta, r, delta_r, log_delta;
};

template <typename T>
SONIX_HD PcenChannel<T> pcen_channel(T s, T alpha, T delta, T r) {
  using std::exp, std::log;  // float overloads on the host (unqualified calls would pick double)
  const T ld = log(delta);
  return {s, alpha, delta, r, exp(r * ld), ld};
}

template <typename T>
SONIX_HD T pcen_value(T e, T m, const PcenChannel<T>& p, T eps) {
  using std::exp, std::expm1, std::log, std::log1p;
  const T gain = exp(-p.alpha * log(eps + m));
  return p.delta_r * expm1(p.r * log1p(e * gain / p.delta));
}

// d out / d (E, M, alpha, delta, r) at one element.
template <typename T>
struct PcenPartials {
  T de, dm, dalpha, ddelta, dr;
};

template <typename T>
SONIX_HD PcenPartials<T> pcen_partials(T e, T m, const PcenChannel<T>& p, T eps) {
  using std::exp, std::expm1, std::log, std::log1p;
  const T lm = log(eps + m);
  const T gain = exp(-p.alpha * lm);
  const T eg = e * gain;
  const T l1 = log1p(eg / p.delta);  // log(w / delta), w = delta + E gain
  const T wr = p.delta_r * exp(p.r * l1);  // w^r
  const T common = p.r * wr / (p.delta + eg);  // r w^(r-1)
  return {common * gain,
          -common * eg * p.alpha / (eps + m),
          -common * eg * lm,
          common - p.r * p.delta_r / p.delta,
          p.delta_r * expm1(p.r * l1) * p.log_delta + wr * l1};  // w^r lw - delta^r ld, without cancellation
}

}  // namespace sonix
